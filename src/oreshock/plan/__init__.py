"""The least-cost resilience plan: stockpiles chosen by a two-stage stochastic linear program
(linopy on HiGHS) over sampled future controls, and its cost split among the coalition."""
