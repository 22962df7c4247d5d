using BenchmarkDotNet.Running;

// Hands the command line to BenchmarkDotNet: `make bench`, or `--filter '*Ranker*'` for one family.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
