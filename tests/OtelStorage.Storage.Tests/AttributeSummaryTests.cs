using System.Text;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.Blocks.Metadata;
using Xunit;

namespace OtelStorage.Storage.Tests;

/// <summary>The attribute key and value summaries in meta.json: what they hold, their bounds, and block skipping by them.</summary>
public sealed class AttributeSummaryTests : IDisposable
{
    private readonly BlockStore _store;
    private readonly string _folder;

    public AttributeSummaryTests() => _store = TestData.FileStore(out _folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SummariesListKeysPerScopeWithTypedValuesAndIntrinsics()
    {
        var meta = await BuildAsync([Request("checkout", [NewSpan("GET /cart", ("http.route", "/cart"), ("http.response.status_code", 200L), ("retry", true), ("ratio", 0.5))])]);

        var a = meta.Attributes!;
        Assert.Equal(["/cart"], a.Span.Keys["http.route"].Values["string"]);
        Assert.Equal(["200"], a.Span.Keys["http.response.status_code"].Values["int"]);
        Assert.Equal(["true"], a.Span.Keys["retry"].Values["bool"]);
        Assert.Equal(["0.5"], a.Span.Keys["ratio"].Values["float"]);
        Assert.True(a.Span.Keys["http.route"].Complete);
        Assert.Equal(["checkout"], a.Resource.Keys["service.name"].Values["string"]);
        Assert.Equal(["zone"], a.Event.Keys.Keys);
        Assert.Equal(["peer"], a.Link.Keys.Keys);
        Assert.Equal(["lib.flag"], a.Instrumentation.Keys.Keys);
        Assert.Equal(["GET /cart"], a.Intrinsic.Keys["name"].Values["string"]);
        Assert.Equal(["error"], a.Intrinsic.Keys["status"].Values["keyword"]);
        Assert.Equal(["server"], a.Intrinsic.Keys["kind"].Values["keyword"]);
        Assert.Equal(["boom"], a.Intrinsic.Keys["statusMessage"].Values["string"]);
        Assert.Equal(["exception"], a.Intrinsic.Keys["event:name"].Values["string"]);
        Assert.Equal(["my.lib"], a.Intrinsic.Keys["instrumentation:name"].Values["string"]);
        Assert.Equal(["1.2.3"], a.Intrinsic.Keys["instrumentation:version"].Values["string"]);
        Assert.Equal(["GET /cart"], a.Intrinsic.Keys["rootName"].Values["string"]);
        Assert.Equal(["checkout"], a.Intrinsic.Keys["rootServiceName"].Values["string"]);
    }

    [Fact]
    public async Task MayContainIsFalseOnlyForValuesTheBlockLacks()
    {
        var meta = await BuildAsync([Request("checkout", [NewSpan("a", ("http.route", "/cart")), NewSpan("b", ("http.response.status_code", 500L))])]);

        var a = meta.Attributes!;
        Assert.True(a.MayContain(AttributeScope.Span, "http.route", "/cart"));
        Assert.False(a.MayContain(AttributeScope.Span, "http.route", "/nope"));
        Assert.True(a.MayContain(AttributeScope.Span, "http.response.status_code", "500"));
        Assert.False(a.MayContain(AttributeScope.Span, "http.response.status_code", "404"));
        Assert.False(a.MayContain(AttributeScope.Span, "absent.key", "x"));
        Assert.False(a.MayContainKey(AttributeScope.Span, "absent.key"));
        Assert.True(a.MayContain(AttributeScope.Resource, "service.name", "checkout"));
        Assert.False(a.MayContain(AttributeScope.Resource, "http.route", "/cart"));
    }

    [Fact]
    public async Task KeysWithManyValuesKeepABloomFilterWithoutFalseNegatives()
    {
        var spans = Enumerable.Range(0, 500).Select(i => NewSpan("s", ("user.id", $"user-{i}"))).ToList();
        var meta = await BuildAsync([Request("svc", spans)]);

        var user = meta.Attributes!.Span.Keys["user.id"];
        Assert.False(user.Complete);
        Assert.NotNull(user.Bloom);
        Assert.Equal(AttributeSummaryLimits.Default.MaxValuesPerKey, user.Values["string"].Count);
        Assert.All(Enumerable.Range(0, 500), i => Assert.True(user.MayContain($"user-{i}")));
        var falsePositives = Enumerable.Range(0, 1000).Count(i => user.MayContain($"other-{i}"));
        Assert.InRange(falsePositives, 0, 50);
    }

    [Fact]
    public async Task HostileCardinalityAndSizesStayWithinTheLimits()
    {
        var limits = AttributeSummaryLimits.Default;
        var huge = new string('x', 100_000);
        var spans = Enumerable.Range(0, 3_000).Select(i => NewSpan("s", ($"key-{i}", $"value-{i}"), ("id", $"{i}"), ("big", huge + i))).ToList();
        spans.Add(NewSpan("s", (new string('k', 10_000), "v")));
        var meta = await BuildAsync([Request("svc", spans)]);

        var span = meta.Attributes!.Span;
        Assert.True(span.Truncated);
        Assert.Equal(limits.MaxKeysPerScope, span.Keys.Count);
        Assert.All(span.Keys.Keys, k => Assert.True(Encoding.UTF8.GetByteCount(k) <= limits.MaxKeyBytes));
        // A truncated scope may hold any key it does not list.
        Assert.True(meta.Attributes.MayContain(AttributeScope.Span, "key-2999", "value-2999"));
        Assert.True(meta.Attributes.MayContain(AttributeScope.Span, new string('k', 10_000), "v"));
        var big = span.Keys["big"];
        Assert.False(big.Complete);
        Assert.Empty(big.Values);
        Assert.True(big.MayContain(huge + 7));
        // 3,000 distinct values: more than are sketched, so anything may be there.
        var id = span.Keys["id"];
        Assert.Null(id.Bloom);
        Assert.False(id.Complete);
        Assert.True(id.MayContain("not-an-id"));
        Assert.InRange(meta.ToJson().Length, 0, 700 * 1024);
    }

    [Fact]
    public async Task SummariesRoundTripThroughMetaJson()
    {
        var spans = Enumerable.Range(0, 100).Select(i => NewSpan("s", ("user.id", $"user-{i}"), ("http.route", "/cart"))).ToList();
        var meta = await BuildAsync([Request("svc", spans)]);

        var read = BlockMeta.FromJson(meta.ToJson());

        Assert.Equal(Encoding.UTF8.GetString(meta.ToJson()), Encoding.UTF8.GetString(read.ToJson()));
        Assert.True(read.Attributes!.MayContain(AttributeScope.Span, "user.id", "user-42"));
        Assert.False(read.Attributes.MayContain(AttributeScope.Span, "http.route", "/nope"));
    }

    [Fact]
    public async Task MetaWithoutSummariesReadsAndMayMatchAnyAttribute()
    {
        var meta = await BuildAsync([Request("svc", [NewSpan("s", ("http.route", "/cart"))])]);
        var json = System.Text.Json.Nodes.JsonNode.Parse(meta.ToJson())!.AsObject();
        json.Remove("attributes");

        var old = BlockMeta.FromJson(Encoding.UTF8.GetBytes(json.ToJsonString()));

        Assert.Null(old.Attributes);
        Assert.True(new SpanQuery { Attributes = [new("http.route", "/nope")] }.MayMatch(old));
    }

    [Fact]
    public async Task SpanQuerySkipsBlocksWhoseSummariesLackAWantedValue()
    {
        var meta = await BuildAsync([Request("checkout", [NewSpan("s", ("http.route", "/cart"))])]);

        Assert.True(new SpanQuery { Attributes = [new("http.route", "/cart")] }.MayMatch(meta));
        Assert.True(new SpanQuery { Attributes = [new("service.name", "checkout")] }.MayMatch(meta));
        Assert.False(new SpanQuery { Attributes = [new("http.route", "/nope")] }.MayMatch(meta));
        Assert.False(new SpanQuery { Attributes = [new("http.route", "/cart"), new("service.name", "other")] }.MayMatch(meta));
    }

    [Fact]
    public async Task AnArrayAttributeListsEachElementAsAValueSinceTraceQlMatchesAnyElement()
    {
        var meta = await BuildAsync([Request("checkout", [NewSpan("s", ("http.route", new[] { "/a", "/b" }))])]);

        Assert.Equal(["/a", "/b"], meta.Attributes!.Span.Keys["http.route"].Values["string"]);
        Assert.True(new SpanQuery { Predicates = [ColumnPredicate.AnyOf(SpanColumn.HttpRoute, ["/b"])] }.MayMatch(meta));
    }

    [Fact]
    public async Task AnArrayWithMoreDistinctElementsThanTheSketchBoundLeavesItsKeyMayHoldAnything()
    {
        var elements = Enumerable.Range(0, AttributeSummaryLimits.Default.MaxSketchedValues + 10).Select(i => "v" + i).ToArray();

        var meta = await BuildAsync([Request("checkout", [NewSpan("s", ("tags", elements))])]);

        var key = meta.Attributes!.Span.Keys["tags"];
        Assert.False(key.Complete);
        Assert.Null(key.Bloom);
        Assert.True(key.MayContain("never-seen"));
    }

    [Fact]
    public async Task SpanQuerySkipsBlocksWhoseSummariesLackEveryValueAColumnPredicateLists()
    {
        var meta = await BuildAsync([Request("checkout", [NewSpan("GET /cart", ("http.route", "/cart"), ("http.response.status_code", 200L))])]);

        static bool May(BlockMeta m, params ColumnPredicate[] predicates) => new SpanQuery { Predicates = predicates }.MayMatch(m);
        Assert.True(May(meta, ColumnPredicate.AnyOf(SpanColumn.HttpRoute, ["/nope", "/cart"])));
        Assert.False(May(meta, ColumnPredicate.AnyOf(SpanColumn.HttpRoute, ["/nope", "/other"])));
        // The empty string stands for "no http.route", which the summaries cannot rule out.
        Assert.True(May(meta, ColumnPredicate.AnyOf(SpanColumn.HttpRoute, ["/nope", string.Empty])));
        Assert.True(May(meta, ColumnPredicate.AnyOf(SpanColumn.HttpStatusCode, [200L])));
        Assert.False(May(meta, ColumnPredicate.AnyOf(SpanColumn.HttpStatusCode, [500L, 503L])));
        Assert.False(May(meta, ColumnPredicate.AnyOf(SpanColumn.Service, ["cart"])));
        Assert.False(May(meta, ColumnPredicate.AnyOf(SpanColumn.Name, ["GET /other"])));
        Assert.True(May(meta, ColumnPredicate.AnyOf(SpanColumn.Status, [2L])));
        Assert.False(May(meta, ColumnPredicate.AnyOf(SpanColumn.Status, [1L])));
        Assert.False(May(meta, ColumnPredicate.AnyOf(SpanColumn.Kind, [3L])));
        // Ranges and tests list no values: only the column decides.
        Assert.True(May(meta, ColumnPredicate.Between(SpanColumn.HttpStatusCode, 500, 599)));
        Assert.True(May(meta, ColumnPredicate.Matching(SpanColumn.HttpRoute, v => v == "/nope")));
    }

    [Fact]
    public async Task AMergedBlockSummarizesTheSpansOfEverySource()
    {
        var first = await TestData.WriteBlockAsync(_store, "t1", [Request("a", [NewSpan("s", ("only.first", "1"))])]);
        var second = await TestData.WriteBlockAsync(_store, "t1", [Request("b", [NewSpan("s", ("only.second", "2"))])]);
        var builder = BlockEncodings.Current.CreateBuilder("t1", new BlockBuildOptions());
        await builder.AddBlockAsync(_store.ReaderFor(first), first, (_, _) => true, Ct);
        await builder.AddBlockAsync(_store.ReaderFor(second), second, (_, _) => true, Ct);
        var now = DateTimeOffset.UtcNow;

        var merged = (await builder.BuildAsync(BlockId.New(now), now, Ct)).Meta.Attributes!;

        Assert.Equal(["only.first", "only.second"], merged.Span.Keys.Keys);
        Assert.Equal(["a", "b"], merged.Resource.Keys["service.name"].Values["string"]);
        Assert.True(merged.MayContain(AttributeScope.Span, "only.second", "2"));
        Assert.False(merged.MayContain(AttributeScope.Span, "only.second", "1"));
    }

    [Fact]
    public void BuilderListsEveryScalarKindByItsFilterText()
    {
        var builder = new AttributeSummaryBuilder(AttributeSummaryLimits.Default);
        foreach (var kv in TestData.EveryAnyValueKind())
        {
            builder.AddKeyValue(AttributeScope.Span, kv.ToByteArray());
        }

        // Two value fields in one KeyValue merge, as protobuf parsers do.
        builder.AddKeyValue(AttributeScope.Span, [.. new KeyValue { Key = "twice", Value = new AnyValue { StringValue = "a" } }.ToByteArray(), .. new KeyValue { Value = new AnyValue { IntValue = 5 } }.ToByteArray()]);

        var span = builder.Build().Span;
        foreach (var kv in TestData.EveryAnyValueKind().Where(kv => AttributeText.Format(kv.Value) is not null))
        {
            Assert.True(span.Keys[kv.Key].MayContain(AttributeText.Format(kv.Value)!), kv.Key);
        }

        Assert.Equal(["text ✓"], span.Keys["s"].Values["string"]);
        Assert.Equal(["-9223372036854775808"], span.Keys["i"].Values["int"]);
        Assert.Equal(["AAEC/w=="], span.Keys["bytes"].Values["bytes"]);
        // An array's elements are values of their own: TraceQL matches an array when one element does.
        Assert.Equal(["1"], span.Keys["array"].Values["int"]);
        Assert.Equal(["two"], span.Keys["array"].Values["string"]);
        Assert.True(span.Keys["array"].Complete);
        Assert.Equal(["5"], span.Keys["twice"].Values["int"]);
    }

    [Fact]
    public void BuilderThrowsOnBytesThatAreNotProtobuf() =>
        Assert.Throws<InvalidDataException>(() => new AttributeSummaryBuilder(AttributeSummaryLimits.Default).AddKeyValue(AttributeScope.Span, [0x0A, 0x7F, 0x01]));

    private async Task<BlockMeta> BuildAsync(IEnumerable<ExportTraceServiceRequest> requests) =>
        await TestData.WriteBlockAsync(_store, "t1", requests);

    private static int _spanSeed;

    private static ExportTraceServiceRequest Request(string service, IEnumerable<Span> spans) => new()
    {
        ResourceSpans =
        {
            new ResourceSpans
            {
                Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = service } } } },
                ScopeSpans =
                {
                    new ScopeSpans
                    {
                        Scope = new InstrumentationScope { Name = "my.lib", Version = "1.2.3", Attributes = { new KeyValue { Key = "lib.flag", Value = new AnyValue { BoolValue = true } } } },
                        Spans = { spans },
                    },
                },
            },
        },
    };

    private static Span NewSpan(string name, params (string Key, object Value)[] attributes)
    {
        var seed = Interlocked.Increment(ref _spanSeed);
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(TestData.Id(16, seed)),
            SpanId = ByteString.CopyFrom(TestData.Id(8, seed)),
            Name = name,
            Kind = Span.Types.SpanKind.Server,
            StartTimeUnixNano = 1_764_061_200_000_000_000UL + (ulong)seed,
            EndTimeUnixNano = 1_764_061_201_000_000_000UL,
            Status = new Status { Code = Status.Types.StatusCode.Error, Message = "boom" },
            Events = { new Span.Types.Event { Name = "exception", Attributes = { new KeyValue { Key = "zone", Value = new AnyValue { StringValue = "eu" } } } } },
            Links = { new Span.Types.Link { TraceId = ByteString.CopyFrom(TestData.Id(16, 9)), SpanId = ByteString.CopyFrom(TestData.Id(8, 9)), Attributes = { new KeyValue { Key = "peer", Value = new AnyValue { IntValue = 1 } } } } },
        };
        foreach (var (key, value) in attributes)
        {
            span.Attributes.Add(new KeyValue
            {
                Key = key,
                Value = value switch
                {
                    string s => new AnyValue { StringValue = s },
                    long l => new AnyValue { IntValue = l },
                    bool b => new AnyValue { BoolValue = b },
                    double d => new AnyValue { DoubleValue = d },
                    string[] a => new AnyValue { ArrayValue = new ArrayValue { Values = { a.Select(e => new AnyValue { StringValue = e }) } } },
                    _ => throw new ArgumentException($"unsupported attribute type {value.GetType()}", nameof(attributes)),
                },
            });
        }

        return span;
    }
}
