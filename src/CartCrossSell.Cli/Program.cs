using CartCrossSell.Cli;

return await CliApplication.RunAsync(args);
