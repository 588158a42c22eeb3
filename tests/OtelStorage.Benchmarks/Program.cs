using BenchmarkDotNet.Running;

// Every suite in this assembly; pick with --filter, for example: --filter '*Decode*'.
// Console mode for the Query.Api store benchmark (s3rver, 1,000+ blocks): see Query/QueryStoreBenchmark.cs.
if (args is ["query-store", ..])
{
    await OtelStorage.Benchmarks.Query.QueryStoreBenchmark.RunAsync(args[1..]);
    return;
}

// Query.Api (referenced by the query-store mode) has a public Program too, so name this assembly through another type.
BenchmarkSwitcher.FromAssembly(typeof(OtelStorage.Benchmarks.Query.QueryStoreBenchmark).Assembly).Run(args);
