using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.Blocks.Metadata;
using Xunit;
using SpanKind = OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind;

namespace OtelStorage.Storage.Tests;

public sealed class MetadataExtractorTests : IDisposable
{
    private readonly BlockStore _store;
    private readonly string _folder;

    public MetadataExtractorTests() => _store = TestData.FileStore(out _folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>
    /// Two traces of the tree frontend(server) → [frontend(client) → cart(server) → redis(client, cart)],
    /// [frontend(client) → payment(server, error in the second trace)].
    /// </summary>
    [Fact]
    public async Task DependencyEdgesAndStatisticsMatchAKnownTraceTree()
    {
        var request = new ExportTraceServiceRequest();
        for (var t = 0; t < 2; t++)
        {
            var trace = ByteString.CopyFrom(TestData.Id(16, 100 + t));
            var root = MakeSpan(trace, 1, null, "GET /checkout", SpanKind.Server, 100_000_000);
            var toCart = MakeSpan(trace, 2, root, "POST /cart", SpanKind.Client, 40_000_000);
            var cart = MakeSpan(trace, 3, toCart, "POST /cart", SpanKind.Server, 30_000_000);
            var redis = MakeSpan(trace, 4, cart, "HGET", SpanKind.Client, 2_000_000);
            var toPay = MakeSpan(trace, 5, root, "Charge", SpanKind.Client, 50_000_000);
            var pay = MakeSpan(trace, 6, toPay, "Charge", SpanKind.Server, (t + 1) * 20_000_000L);
            if (t == 1)
            {
                pay.Status = new Status { Code = Status.Types.StatusCode.Error };
            }

            request.ResourceSpans.Add(Resource("frontend", root, toCart, toPay));
            request.ResourceSpans.Add(Resource("cart", cart, redis));
            request.ResourceSpans.Add(Resource("payment", pay));
        }

        var meta = await TestData.WriteBlockAsync(_store, "t1", [request]);
        var json = BlockMeta.FromJson((await File.ReadAllBytesAsync(Path.Combine(_folder, "blocks", "t1", meta.BlockId, "meta.json"), TestContext.Current.CancellationToken)).AsSpan());

        Assert.Equal(["cart", "frontend", "payment"], json.Services);
        Assert.Equal(["GET /checkout", "POST /cart", "Charge"], json.Operations["frontend"].OrderByDescending(o => o.Length).ToList());
        Assert.Equal(2, json.TraceCount);
        Assert.Equal(12, json.SpanCount);

        Assert.Collection(
            json.Dependencies,
            e => AssertEdge(e, "frontend", "cart", calls: 2, errors: 0, min: 30_000_000, max: 30_000_000),
            e => AssertEdge(e, "frontend", "payment", calls: 2, errors: 1, min: 20_000_000, max: 40_000_000));

        var payment = json.ServiceStatistics.Single(s => s.Service == "payment");
        Assert.Equal((2, 1), (payment.RequestCount, payment.ErrorCount));
        Assert.Equal(60_000_000, payment.Duration.SumNanos);
        var frontend = json.ServiceStatistics.Single(s => s.Service == "frontend");
        Assert.Equal((2, 0), (frontend.RequestCount, frontend.ErrorCount));
        Assert.InRange(frontend.Duration.P50Nanos, 95_000_000, 105_000_000);
        Assert.DoesNotContain(json.ServiceStatistics, s => s.Service == "redis");

        var hget = json.OperationStatistics.Single(o => o.Operation == "HGET");
        Assert.Equal(("cart", (int)SpanKind.Client, 2L), (hget.Service, hget.Kind, hget.RequestCount));
        var charge = json.OperationStatistics.Single(o => o.Service == "payment");
        Assert.Equal((2L, 1L), (charge.RequestCount, charge.ErrorCount));
        Assert.InRange(charge.Duration.P99Nanos, 38_000_000, 40_000_000);
    }

    [Fact]
    public void DurationSummariesMergeToTheSamePercentilesAsOneSummary()
    {
        var random = new Random(5);
        var values = Enumerable.Range(0, 10_000).Select(_ => (long)(Math.Exp(random.NextDouble() * 10) * 1000)).ToList();
        var whole = new DurationSummary();
        var a = new DurationSummary();
        var b = new DurationSummary();
        for (var i = 0; i < values.Count; i++)
        {
            whole.Add(values[i]);
            (i % 3 == 0 ? a : b).Add(values[i]);
        }

        whole.ComputePercentiles();
        a.Merge(b);

        Assert.Equal((whole.Count, whole.SumNanos, whole.MinNanos, whole.MaxNanos), (a.Count, a.SumNanos, a.MinNanos, a.MaxNanos));
        Assert.Equal((whole.P50Nanos, whole.P90Nanos, whole.P99Nanos), (a.P50Nanos, a.P90Nanos, a.P99Nanos));
        var exact = values.Order().ElementAt(values.Count / 2 - 1);
        Assert.InRange(whole.P50Nanos, exact * 0.95, exact * 1.05);
    }

    private static void AssertEdge(DependencyEdge e, string parent, string child, long calls, long errors, long min, long max)
    {
        Assert.Equal((parent, child, calls, errors), (e.Parent, e.Child, e.CallCount, e.ErrorCount));
        Assert.Equal((min, max), (e.Duration.MinNanos, e.Duration.MaxNanos));
    }

    private static Span MakeSpan(ByteString trace, int id, Span? parent, string name, SpanKind kind, long duration)
    {
        const ulong start = 1_764_061_200_000_000_000UL;
        return new Span
        {
            TraceId = trace,
            SpanId = ByteString.CopyFrom(TestData.Id(8, trace.GetHashCode() + id)),
            ParentSpanId = parent?.SpanId ?? ByteString.Empty,
            Name = name,
            Kind = kind,
            StartTimeUnixNano = start + (ulong)id,
            EndTimeUnixNano = start + (ulong)id + (ulong)duration,
        };
    }

    private static ResourceSpans Resource(string service, params Span[] spans) => new()
    {
        Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } } } },
        ScopeSpans = { new ScopeSpans { Spans = { spans } } },
    };
}
