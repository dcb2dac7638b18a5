"""The supply-chain model: network arrays, scenarios, the shocks they compile to, the monthly
engine (state, rules, step), results and the metrics read from a network or a run."""
