using BenchmarkDotNet.Running;
using OtelStorage.Benchmarks.Compaction;
using OtelStorage.Benchmarks.Limits;
using OtelStorage.Benchmarks.Query;

// Console modes against live infrastructure:
//   limits       the single-stage limits end-to-end figures are compared with (decode, RabbitMQ publish+confirm, S3 PUT)
//   query-store  Query.Api over a store of 1,000+ blocks on s3rver (see Query/QueryStoreBenchmark.cs)
//   backlog      a tenant's compaction backlog on a live store, sampled while load runs (Compaction/BacklogMonitor.cs)
// Anything else runs the BenchmarkDotNet suites (pick with --filter, for example: --filter '*Decode*').
if (args is ["limits", ..])
{
    return await StageLimits.RunAsync(args);
}

if (args is ["backlog", ..])
{
    return await BacklogMonitor.RunAsync(args);
}

if (args is ["query-store", ..])
{
    await QueryStoreBenchmark.RunAsync(args[1..]);
    return 0;
}

// Query.Api (referenced by the query-store mode) has a public Program too, so name this assembly through another type.
BenchmarkSwitcher.FromAssembly(typeof(StageLimits).Assembly).Run(args);
return 0;
