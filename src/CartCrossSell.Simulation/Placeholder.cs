namespace CartCrossSell.Simulation;
