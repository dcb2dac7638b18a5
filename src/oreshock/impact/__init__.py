"""The impact layer: from tonnes short to output, value added and GDP lost, through an
input-output table (static Leontief and Ghosh measures and an inventory-constrained dynamic
one), and demand embodied in final goods."""
