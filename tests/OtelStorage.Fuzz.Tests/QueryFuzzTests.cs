using Google.Protobuf;
using OtelStorage.Fuzz.Tests.Engine;
using OtelStorage.Fuzz.Tests.Generators;
using OtelStorage.Fuzz.Tests.Stack;
using Xunit;

namespace OtelStorage.Fuzz.Tests;

/// <summary>Hostile queries to the live Query.Api, over seeded blocks, on the native, Jaeger and Tempo routes.</summary>
public sealed class QueryFuzzTests(FuzzStack stack)
{
    [Fact(Timeout = FuzzTimeouts.Test)]
    public async Task HostileQueriesGetA4xxWithAMessageOrSucceedAndNeverA5xx() =>
        await new FuzzRunner(stack).RunAndAssertAsync([.. QueryCases.All(stack.Seeded, stack.Settings.Full)], TestContext.Current.CancellationToken);
}

/// <summary>
/// Valid but hostile spans go all the way through: Ingest.Api must accept them, Batcher.Worker must store them, and
/// Query.Api must return them on every trace route and list them in searches and metadata, never with a 5xx.
/// </summary>
public sealed class StoredHostileSpansTests(FuzzStack stack)
{
    [Fact(Timeout = FuzzTimeouts.Test)]
    public async Task HostileButValidSpansAreStoredAndServedByEveryRoute()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var seed = stack.Settings.Seed;
        var traces = stack.Settings.Full ? 150 : 20;
        var ingest = new FuzzCategory(StoredHostileSpans.IngestCategory, FuzzTarget.IngestHttp, "valid OTLP with hostile names, values, nesting, timestamps and enums", traces, traces, 4, (r, _) =>
        {
            var request = StoredHostileSpans.Make(r);
            return IngestCases.Http("valid spans with hostile content, trace " + StoredHostileSpans.Identify(request).TraceId, request.ToByteArray(), expect: Expectation.Stored);
        });
        var reads = new FuzzCategory(StoredHostileSpans.ReadCategory, FuzzTarget.Query, "the stored hostile spans read by ID on every trace route, searched and listed", traces * StoredHostileSpans.ReadKinds, traces * StoredHostileSpans.ReadKinds, 8, (_, index) =>
        {
            var (traceId, service) = StoredHostileSpans.Identify(StoredHostileSpans.Make(seed, index / StoredHostileSpans.ReadKinds));
            return StoredHostileSpans.Read(traceId, service, index % StoredHostileSpans.ReadKinds);
        });

        await new FuzzRunner(stack).RunAndAssertAsync([ingest], cancellationToken);
        await stack.WaitUntilQueryableAsync([.. Enumerable.Range(0, traces).Select(i => StoredHostileSpans.Identify(StoredHostileSpans.Make(seed, i)).TraceId)], cancellationToken);
        await new FuzzRunner(stack).RunAndAssertAsync([reads], cancellationToken);
        Assert.Null(await stack.CheckEndToEndAsync(cancellationToken));
    }
}
