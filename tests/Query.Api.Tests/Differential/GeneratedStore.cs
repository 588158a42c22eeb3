using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace Query.Api.Tests.Differential;

/// <summary>One span as written: its resource, scope and the block it went into (a duplicated span is written twice).</summary>
internal sealed record WrittenSpan(Resource Resource, InstrumentationScope Scope, Span Span, int Block);

/// <summary>
/// A seeded random store for the differential test: traces whose spans are spread over several blocks (children in
/// other blocks than their parents), several services, names, kinds and statuses, durations from nanoseconds to
/// seconds, the promoted HTTP and database attributes in their current and legacy forms (status code as int and as
/// string), attributes of every type including arrays, resource and scope attributes, events and links with
/// attributes, identical start times, orphans whose parent is missing, spans stored twice, and traces starting on a
/// whole second or one nanosecond before one, so that a window in whole seconds cuts right beside them.
/// </summary>
internal sealed class GeneratedStore
{
    public const long Second = 1_000_000_000;

    private static readonly string[] Services = ["frontend", "cart", "checkout", "payment", "db-proxy"];
    private static readonly string[] HttpNames = ["GET /cart", "POST /checkout", "GET /products/{id}", "GET /nope"];
    private static readonly string[] OtherNames = ["SELECT orders", "INSERT cart", "publish orders", "process orders", "compute total", "GET /cart"];
    private static readonly (string Name, string Version)[] Scopes = [("io.opentelemetry.http", "1.0.0"), ("io.opentelemetry.jdbc", "2.1.3"), ("manual", "")];

    private GeneratedStore(ulong baseUnixNano, List<WrittenSpan> spans, int blocks, List<long> wholeSeconds)
    {
        BaseUnixNano = baseUnixNano;
        Spans = spans;
        BlockCount = blocks;
        WholeSeconds = wholeSeconds;
    }

    /// <summary>Every span as written, duplicates included.</summary>
    public IReadOnlyList<WrittenSpan> Spans { get; }

    public int BlockCount { get; }

    /// <summary>A whole second, in Unix nanoseconds, at or before the earliest trace start.</summary>
    public ulong BaseUnixNano { get; }

    /// <summary>Unix seconds at which, or one nanosecond before which, some trace starts: windows cut there.</summary>
    public IReadOnlyList<long> WholeSeconds { get; }

    /// <summary>The spans of each block as export requests, one resource and scope per span.</summary>
    public IEnumerable<IEnumerable<ExportTraceServiceRequest>> Blocks() =>
        Enumerable.Range(0, BlockCount).Select(b => Spans.Where(s => s.Block == b).Select(s => new ExportTraceServiceRequest
        {
            ResourceSpans = { new ResourceSpans { Resource = s.Resource, ScopeSpans = { new ScopeSpans { Scope = s.Scope, Spans = { s.Span } } } } },
        }));

    public static GeneratedStore Create(int seed, int traces, int blocks, ulong baseUnixNano)
    {
        var random = new Random(seed);
        var resources = Services.SelectMany((service, i) => new[] { NewResource(service, 0, i), NewResource(service, 1, i) }).ToArray();
        var scopes = Scopes.Select(s => new InstrumentationScope { Name = s.Name, Version = s.Version }).ToArray();
        scopes[0].Attributes.Add(Attr("scope.tier", "core"));
        var written = new List<WrittenSpan>();
        var starts = new List<ulong>();
        var wholeSeconds = new List<long>();
        var previous = new List<Span>();
        for (var t = 0; t < traces; t++)
        {
            var traceId = new byte[16];
            random.NextBytes(traceId);
            if (t % 7 == 0)
            {
                traceId[0] = 0;
            }

            // Some traces start on a whole second, one nanosecond before one, or exactly when an earlier trace starts.
            var second = (long)(baseUnixNano / Second) + 1 + random.Next(300);
            var start = (t % 10) switch
            {
                0 => (ulong)(second * Second),
                1 => (ulong)(second * Second) - 1,
                2 when starts.Count > 0 => starts[random.Next(starts.Count)],
                _ => (ulong)(second * Second) + (ulong)random.NextInt64(Second),
            };
            if (t % 10 is 0 or 1)
            {
                wholeSeconds.Add(second);
            }

            starts.Add(start);
            var count = random.Next(4) == 0 ? random.Next(7, 14) : random.Next(1, 6);
            var spans = new List<Span>();
            for (var i = 0; i < count; i++)
            {
                var parent = i == 0 ? null : spans[random.Next(spans.Count)];
                var spanStart = parent is null ? start : (random.Next(5) switch
                {
                    0 => parent.StartTimeUnixNano,
                    1 => parent.StartTimeUnixNano + (ulong)random.NextInt64(30 * Second),
                    _ => parent.StartTimeUnixNano + (ulong)random.NextInt64(Math.Max(1, (long)(parent.EndTimeUnixNano - parent.StartTimeUnixNano))),
                });
                var span = NewSpan(random, traceId, parent, spanStart, previous);
                if (i > 0 && random.Next(40) == 0)
                {
                    // The parent was never received.
                    span.ParentSpanId = ByteString.CopyFrom(RandomBytes(random, 8));
                }

                spans.Add(span);
                var block = random.Next(blocks);
                written.Add(new WrittenSpan(resources[random.Next(resources.Length)], scopes[random.Next(scopes.Length)], span, block));
                if (random.Next(60) == 0)
                {
                    written.Add(written[^1] with { Block = (block + 1 + random.Next(blocks - 1)) % blocks });
                }
            }

            previous.AddRange(spans);
        }

        return new GeneratedStore(baseUnixNano, written, blocks, wholeSeconds);
    }

    private static Span NewSpan(Random random, byte[] traceId, Span? parent, ulong start, List<Span> previous)
    {
        // Durations from nanoseconds to seconds, spread evenly over the orders of magnitude.
        var duration = (ulong)Math.Pow(10, random.NextDouble() * 9.7);
        var http = random.Next(2) == 0;
        var name = http ? HttpNames[random.Next(HttpNames.Length)] : OtherNames[random.Next(OtherNames.Length)];
        var status = random.Next(10) switch
        {
            < 6 => Status.Types.StatusCode.Unset,
            < 8 => Status.Types.StatusCode.Ok,
            _ => Status.Types.StatusCode.Error,
        };
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = ByteString.CopyFrom(RandomBytes(random, 8)),
            ParentSpanId = parent?.SpanId ?? ByteString.Empty,
            Name = name,
            Kind = (Span.Types.SpanKind)random.Next(6),
            StartTimeUnixNano = start,
            EndTimeUnixNano = start + duration,
            Status = status == Status.Types.StatusCode.Unset && random.Next(2) == 0 ? null
                : new Status { Code = status, Message = status == Status.Types.StatusCode.Error ? Pick(random, "boom", "timeout") : string.Empty },
        };
        if (http)
        {
            span.Attributes.Add(Attr(random.Next(4) == 0 ? "http.method" : "http.request.method", name.Split(' ')[0]));
            span.Attributes.Add(Attr("http.route", name.Split(' ')[1]));
            var code = Pick(random, 200, 201, 404, 500, 503);
            span.Attributes.Add(random.Next(5) == 0 ? Attr("http.response.status_code", code.ToString(System.Globalization.CultureInfo.InvariantCulture)) : Attr("http.response.status_code", code));
        }
        else if (name.StartsWith("SELECT", StringComparison.Ordinal) || name.StartsWith("INSERT", StringComparison.Ordinal))
        {
            span.Attributes.Add(Attr(random.Next(3) == 0 ? "db.system" : "db.system.name", Pick(random, "postgresql", "redis")));
        }

        AddMaybe(random, span.Attributes, "retry.count", () => new AnyValue { IntValue = random.Next(6) });
        AddMaybe(random, span.Attributes, "ratio", () => new AnyValue { DoubleValue = Math.Round(random.NextDouble() * 4, 2) });
        AddMaybe(random, span.Attributes, "cache.hit", () => new AnyValue { BoolValue = random.Next(2) == 0 });
        AddMaybe(random, span.Attributes, "q q", () => new AnyValue { StringValue = Pick(random, "x", "y z") });
        AddMaybe(random, span.Attributes, "deployment.environment", () => new AnyValue { StringValue = "canary" }, 8);
        AddMaybe(random, span.Attributes, "tags", () => ArrayOf(random, () => new AnyValue { StringValue = Pick(random, "a", "b", "c", "bar") }));
        AddMaybe(random, span.Attributes, "ids", () => ArrayOf(random, () => new AnyValue { IntValue = random.Next(10) }));
        AddMaybe(random, span.Attributes, "weights", () => ArrayOf(random, () => new AnyValue { DoubleValue = Pick(random, 0.5, 1.5, 2.25) }), 6);
        AddMaybe(random, span.Attributes, "flags", () => ArrayOf(random, () => new AnyValue { BoolValue = random.Next(2) == 0 }), 6);
        for (var e = random.Next(4) == 0 ? random.Next(1, 3) : 0; e > 0; e--)
        {
            var exception = random.Next(2) == 0;
            var ev = new Span.Types.Event { Name = exception ? "exception" : "retry", TimeUnixNano = start + (ulong)random.NextInt64((long)duration + 1) };
            ev.Attributes.Add(exception ? Attr("exception.type", Pick(random, "Timeout", "NullReference")) : Attr("attempt", random.Next(1, 4)));
            if (exception && random.Next(2) == 0)
            {
                ev.Attributes.Add(Attr("exception.message", Pick(random, "deadline exceeded", "object was null")));
            }

            span.Events.Add(ev);
        }

        if (previous.Count > 0 && random.Next(6) == 0)
        {
            var target = previous[random.Next(previous.Count)];
            span.Links.Add(new Span.Types.Link { TraceId = target.TraceId, SpanId = target.SpanId, Attributes = { Attr("ref.type", Pick(random, "follows_from", "child_of")) } });
        }

        return span;
    }

    private static Resource NewResource(string service, int instance, int index) => new()
    {
        Attributes =
        {
            Attr("service.name", service),
            Attr("host.name", $"{service}-{instance}"),
            Attr("deployment.environment", instance == 0 ? "production" : "staging"),
            Attr("process.pid", 1000 + (index * 10) + instance),
        },
    };

    private static void AddMaybe(Random random, Google.Protobuf.Collections.RepeatedField<KeyValue> attributes, string key, Func<AnyValue> value, int oneIn = 3)
    {
        if (random.Next(oneIn) == 0)
        {
            attributes.Add(new KeyValue { Key = key, Value = value() });
        }
    }

    private static AnyValue ArrayOf(Random random, Func<AnyValue> element)
    {
        var array = new ArrayValue();
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            array.Values.Add(element());
        }

        return new AnyValue { ArrayValue = array };
    }

    private static KeyValue Attr(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Attr(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];
}
