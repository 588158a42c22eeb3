using BenchmarkDotNet.Running;
using OtelStorage.Benchmarks.Limits;

// "limits" measures the single-stage limits against live infrastructure; anything else runs the
// BenchmarkDotNet suites (pick with --filter, for example: --filter '*Decode*').
if (args.Length > 0 && args[0] == "limits")
{
    return await StageLimits.RunAsync(args);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
