using BenchmarkDotNet.Running;

// Every suite in this assembly; pick with --filter, for example: --filter '*Decode*'.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
