using System.Buffers.Binary;
using System.Security.Cryptography;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Resource.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.Chaos.Tests.Load;

/// <summary>
/// Export requests for a few long traces at a time: each request carries a slice of each active trace, and a trace
/// is replaced by a new one once it has <c>spansPerTrace</c> spans. Few traces with many spans keep verification
/// (one Query.Api lookup per trace) cheap. Span IDs are unique over the run. Not thread-safe: one producer calls it.
/// </summary>
public sealed class SpanWorkload : IExportWorkload
{
    private static readonly string[] Operations = ["GET /api/orders", "POST /api/cart", "SELECT orders", "publish order.created", "GET /api/stock"];
    private static readonly string[] Services = ["frontend", "orders", "inventory"];
    private readonly int _spansPerTrace;
    private readonly int _spansPerRequest;
    private readonly ActiveTrace[] _active;
    private readonly ulong _spanIdPrefix;
    private readonly string? _payload;
    private long _nextSpan;

    /// <param name="activeTraces">Traces receiving spans at once.</param>
    /// <param name="spansPerTrace">Spans after which a trace is replaced by a new one.</param>
    /// <param name="spansPerRequest">Spans per export request, spread over the active traces.</param>
    /// <param name="payloadBytes">An extra string attribute of this many characters per span, to make requests heavier.</param>
    public SpanWorkload(int activeTraces, int spansPerTrace, int spansPerRequest, int payloadBytes = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(activeTraces, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(spansPerRequest, activeTraces);
        _spansPerTrace = spansPerTrace;
        _spansPerRequest = spansPerRequest;
        _active = new ActiveTrace[activeTraces];
        // The high bits make this run's span IDs disjoint from any other run's; the counter makes them unique within it.
        _spanIdPrefix = (ulong)RandomNumberGenerator.GetInt32(1, int.MaxValue) << 32;
        _payload = payloadBytes > 0 ? new string('p', payloadBytes) : null;
        for (var i = 0; i < _active.Length; i++)
        {
            _active[i] = NewTrace(i);
        }
    }

    public int SpansPerRequest => _spansPerRequest;

    public long SpansGenerated => _nextSpan;

    public ExportTraceServiceRequest NextRequest()
    {
        var request = new ExportTraceServiceRequest();
        var perTrace = _spansPerRequest / _active.Length;
        for (var slot = 0; slot < _active.Length; slot++)
        {
            var trace = _active[slot];
            var count = slot == _active.Length - 1 ? _spansPerRequest - perTrace * (_active.Length - 1) : perTrace;
            var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "otelstorage.chaos", Version = "1" } };
            var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000;
            for (var i = 0; i < count; i++)
            {
                var sequence = _nextSpan++;
                var spanId = _spanIdPrefix | (ulong)(sequence + 1);
                var span = new Span
                {
                    TraceId = trace.Id,
                    SpanId = SpanIdBytes(spanId),
                    Name = Operations[sequence % Operations.Length],
                    Kind = trace.Spans == 0 ? Span.Types.SpanKind.Server : Span.Types.SpanKind.Internal,
                    StartTimeUnixNano = now - (ulong)(i * 1_000),
                    EndTimeUnixNano = now - (ulong)(i * 1_000) + 250_000 + (ulong)(sequence % 7) * 10_000,
                    Attributes =
                    {
                        new KeyValue { Key = "http.request.method", Value = new AnyValue { StringValue = "GET" } },
                        new KeyValue { Key = "http.route", Value = new AnyValue { StringValue = "/api/orders/{id}" } },
                        new KeyValue { Key = "chaos.sequence", Value = new AnyValue { IntValue = sequence } },
                    },
                    Status = new Status { Code = sequence % 50 == 0 ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Ok },
                };
                if (_payload is not null)
                {
                    span.Attributes.Add(new KeyValue { Key = "chaos.payload", Value = new AnyValue { StringValue = _payload } });
                }

                if (trace.Spans > 0)
                {
                    span.ParentSpanId = trace.RootSpanId;
                }
                else
                {
                    trace.RootSpanId = span.SpanId;
                }

                trace.Spans++;
                scope.Spans.Add(span);
            }

            var resource = new ResourceSpans
            {
                Resource = new Resource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = trace.Service } } } },
                ScopeSpans = { scope },
            };
            request.ResourceSpans.Add(resource);
            if (trace.Spans >= _spansPerTrace)
            {
                _active[slot] = NewTrace(slot);
            }
        }

        return request;
    }

    private static ActiveTrace NewTrace(int slot) =>
        new(ByteString.CopyFrom(RandomNumberGenerator.GetBytes(16)), Services[slot % Services.Length]);

    private static ByteString SpanIdBytes(ulong spanId)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, spanId);
        return ByteString.CopyFrom(bytes);
    }

    private sealed class ActiveTrace(ByteString id, string service)
    {
        public ByteString Id { get; } = id;

        public string Service { get; } = service;

        public ByteString RootSpanId { get; set; } = ByteString.Empty;

        public int Spans { get; set; }
    }
}
