using CartCrossSell.Cli;

// Exit rather than return: a group's close left behind after Streams:CloseTimeout (a consumer close hung in
// librdkafka) keeps Streamiz's threads, which are foreground threads, alive, and returning from Main waits for them.
Environment.Exit(await CliApplication.RunAsync(args));
