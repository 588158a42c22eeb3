using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.LoadGen.Workload;

/// <summary>
/// One serialized ExportTraceServiceRequest and where in its bytes every ID and timestamp sits, found by walking the
/// protobuf wire format (https://protobuf.dev/programming-guides/encoding/). A send patches a copy of the bytes in
/// place instead of building and serializing objects.
/// </summary>
public sealed class RequestTemplate
{
    private const int TraceIdLength = 16;
    private const int SpanIdLength = 8;

    private readonly byte[] _bytes;
    private readonly int[] _traceIdOffsets;
    private readonly int[] _spanIdOffsets;
    private readonly int[] _traceOfSpan;
    private readonly int[] _firstSpanOfTrace;
    private readonly (int Offset, int Span)[] _parents;
    private readonly int[] _timeOffsets;
    private readonly Range[] _spanRanges;
    private readonly int[] _groupOfSpan;
    private readonly (Range Resource, Range Scope)[] _groups;

    private RequestTemplate(
        byte[] bytes,
        int[] traceIdOffsets,
        int[] spanIdOffsets,
        int[] traceOfSpan,
        int[] firstSpanOfTrace,
        (int Offset, int Span)[] parents,
        int[] timeOffsets,
        ulong baseTimeUnixNano,
        Range[] spanRanges,
        int[] groupOfSpan,
        (Range Resource, Range Scope)[] groups)
    {
        _bytes = bytes;
        _traceIdOffsets = traceIdOffsets;
        _spanIdOffsets = spanIdOffsets;
        _traceOfSpan = traceOfSpan;
        _firstSpanOfTrace = firstSpanOfTrace;
        _parents = parents;
        _timeOffsets = timeOffsets;
        BaseTimeUnixNano = baseTimeUnixNano;
        _spanRanges = spanRanges;
        _groupOfSpan = groupOfSpan;
        _groups = groups;
    }

    /// <summary>The serialized request as generated.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    public int Length => _bytes.Length;

    public int SpanCount => _spanIdOffsets.Length;

    /// <summary>Distinct trace IDs in the request.</summary>
    public int TraceCount => _firstSpanOfTrace.Length;

    /// <summary>Resource and scope pairs (one per ScopeSpans) in the request; a patch changes none of them.</summary>
    public int GroupCount => _groups.Length;

    /// <summary>The earliest span start; a patched copy moves every timestamp by (now − this).</summary>
    public ulong BaseTimeUnixNano { get; }

    /// <summary>Serializes <paramref name="request"/> and records its IDs and timestamps. Span links are not supported.</summary>
    public static RequestTemplate From(ExportTraceServiceRequest request)
    {
        using var walker = new WireWalker(request.ToByteArray());
        return walker.Walk();
    }

    /// <summary>
    /// A copy in a pooled buffer with one fresh trace ID per trace, a fresh span ID per span, each parent ID set to
    /// the new ID of the same original span, and every timestamp moved so that the earliest start is
    /// <paramref name="nowUnixNano"/>.
    /// </summary>
    public PatchedRequest Patch(UniqueIds ids, ulong nowUnixNano)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_bytes.Length);
        var destination = buffer.AsSpan(0, _bytes.Length);
        _bytes.CopyTo(destination);
        for (var span = 0; span < _spanIdOffsets.Length; span++)
        {
            var traceId = destination.Slice(_traceIdOffsets[span], TraceIdLength);
            var first = _firstSpanOfTrace[_traceOfSpan[span]];
            if (first == span)
            {
                ids.NextTraceId(traceId);
            }
            else
            {
                destination.Slice(_traceIdOffsets[first], TraceIdLength).CopyTo(traceId);
            }

            BinaryPrimitives.WriteUInt64BigEndian(destination[_spanIdOffsets[span]..], ids.NextSpanId());
        }

        foreach (var (offset, span) in _parents)
        {
            destination.Slice(_spanIdOffsets[span], SpanIdLength).CopyTo(destination[offset..]);
        }

        // Unsigned wrap-around makes the same addition a move backwards when the template is newer than now.
        var shift = unchecked(nowUnixNano - BaseTimeUnixNano);
        foreach (var offset in _timeOffsets)
        {
            var time = destination[offset..];
            BinaryPrimitives.WriteUInt64LittleEndian(time, unchecked(BinaryPrimitives.ReadUInt64LittleEndian(time) + shift));
        }

        return new PatchedRequest(this, buffer);
    }

    /// <summary>Which of the request's traces the span belongs to, from 0 to <see cref="TraceCount"/> − 1.</summary>
    internal int TraceOf(int span) => _traceOfSpan[span];

    internal int TraceIdOffset(int span) => _traceIdOffsets[span];

    internal int SpanIdOffset(int span) => _spanIdOffsets[span];

    /// <summary>Where the span's own bytes (the embedded Span message) sit.</summary>
    internal Range SpanRange(int span) => _spanRanges[span];

    /// <summary>Which resource and scope pair the span belongs to, from 0 to <see cref="GroupCount"/> − 1.</summary>
    internal int GroupOf(int span) => _groupOfSpan[span];

    /// <summary>The group's Resource message, empty when absent.</summary>
    internal ReadOnlySpan<byte> ResourceBytes(int group) => _bytes.AsSpan(_groups[group].Resource);

    /// <summary>The group's InstrumentationScope message, empty when absent.</summary>
    internal ReadOnlySpan<byte> ScopeBytes(int group) => _bytes.AsSpan(_groups[group].Scope);

    /// <summary>
    /// Walks ExportTraceServiceRequest → ResourceSpans → ScopeSpans → Span → Event
    /// (https://github.com/open-telemetry/opentelemetry-proto/blob/main/opentelemetry/proto/trace/v1/trace.proto),
    /// noting where each resource, scope and span sits and skipping every other field.
    /// </summary>
    private sealed class WireWalker(byte[] bytes) : IDisposable
    {
        private readonly CodedInputStream _input = new(bytes);
        private int _end = bytes.Length;
        private readonly List<int> _traceIdOffsets = [];
        private readonly List<int> _spanIdOffsets = [];
        private readonly List<int> _parentOffsets = [];
        private readonly List<int> _timeOffsets = [];
        private readonly List<Range> _spanRanges = [];
        private readonly List<int> _groupOfSpan = [];
        private readonly List<(Range Resource, Range Scope)> _groups = [];
        private ulong _baseTime = ulong.MaxValue;

        public RequestTemplate Walk()
        {
            ForEachField(ExportTraceServiceRequest.ResourceSpansFieldNumber, tag => ReadEmbedded(tag, ReadResourceSpans));
            return Resolve();
        }

        public void Dispose() => _input.Dispose();

        /// <summary>Reads the current message to its end, handing each occurrence of <paramref name="field"/> to <paramref name="read"/>.</summary>
        private void ForEachField(int field, Action<uint> read)
        {
            while (_input.Position < _end)
            {
                var tag = _input.ReadTag();
                if (WireFormat.GetTagFieldNumber(tag) == field)
                {
                    read(tag);
                }
                else
                {
                    _input.SkipLastField();
                }
            }
        }

        private void ReadResourceSpans()
        {
            var firstGroup = _groups.Count;
            var resource = default(Range);
            while (_input.Position < _end)
            {
                var tag = _input.ReadTag();
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case ResourceSpans.ResourceFieldNumber:
                        resource = SkipEmbedded(tag);
                        break;
                    case ResourceSpans.ScopeSpansFieldNumber:
                        ReadEmbedded(tag, ReadScopeSpans);
                        break;
                    default:
                        _input.SkipLastField();
                        break;
                }
            }

            // The resource may come after its scopes on the wire.
            for (var group = firstGroup; group < _groups.Count; group++)
            {
                _groups[group] = (resource, _groups[group].Scope);
            }
        }

        private void ReadScopeSpans()
        {
            var group = _groups.Count;
            _groups.Add(default);
            while (_input.Position < _end)
            {
                var tag = _input.ReadTag();
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case ScopeSpans.ScopeFieldNumber:
                        _groups[group] = (default, SkipEmbedded(tag));
                        break;
                    case ScopeSpans.SpansFieldNumber:
                        var field = (int)_input.Position;
                        ReadEmbedded(tag, ReadSpan);
                        _spanRanges.Add(PayloadFrom(field));
                        _groupOfSpan.Add(group);
                        break;
                    default:
                        _input.SkipLastField();
                        break;
                }
            }
        }

        /// <summary>Skips an embedded message and returns where its bytes sit.</summary>
        private Range SkipEmbedded(uint tag)
        {
            Expect(tag, WireFormat.WireType.LengthDelimited);
            var field = (int)_input.Position;
            _input.SkipLastField();
            return PayloadFrom(field);
        }

        /// <summary>The bytes of a length-delimited field read up to here, whose length prefix starts at <paramref name="field"/>.</summary>
        private Range PayloadFrom(int field)
        {
            var start = field;
            while ((bytes[start++] & 0x80) != 0)
            {
                // The prefix is a varint: every byte but its last has the high bit set.
            }

            return new Range(start, (int)_input.Position);
        }

        private void ReadEmbedded(uint tag, Action read)
        {
            Expect(tag, WireFormat.WireType.LengthDelimited);
            var length = _input.ReadLength();
            var outer = _end;
            _end = (int)_input.Position + length;
            if (_end > outer)
            {
                throw new InvalidDataException($"an embedded message of {length} bytes runs past the end of its parent");
            }

            read();
            _end = outer;
        }

        private void ReadSpan()
        {
            int traceId = -1, spanId = -1, parentSpanId = -1;
            while (_input.Position < _end)
            {
                var tag = _input.ReadTag();
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case Span.TraceIdFieldNumber:
                        traceId = IdOffset(tag, TraceIdLength);
                        break;
                    case Span.SpanIdFieldNumber:
                        spanId = IdOffset(tag, SpanIdLength);
                        break;
                    case Span.ParentSpanIdFieldNumber:
                        parentSpanId = IdOffset(tag, SpanIdLength);
                        break;
                    case Span.StartTimeUnixNanoFieldNumber:
                        _baseTime = Math.Min(_baseTime, Time(tag));
                        break;
                    case Span.EndTimeUnixNanoFieldNumber:
                        Time(tag);
                        break;
                    case Span.EventsFieldNumber:
                        ReadEmbedded(tag, () => ForEachField(Span.Types.Event.TimeUnixNanoFieldNumber, tag => Time(tag)));
                        break;
                    case Span.LinksFieldNumber:
                        throw new NotSupportedException("request templates do not patch span links, so a template must have none");
                    default:
                        _input.SkipLastField();
                        break;
                }
            }

            if (traceId < 0 || spanId < 0)
            {
                throw new InvalidDataException("every span of a request template needs a trace_id and a span_id");
            }

            _traceIdOffsets.Add(traceId);
            _spanIdOffsets.Add(spanId);
            _parentOffsets.Add(parentSpanId);
        }

        /// <summary>The offset of an ID's bytes, or -1 when empty (an absent parent).</summary>
        private int IdOffset(uint tag, int length)
        {
            Expect(tag, WireFormat.WireType.LengthDelimited);
            var id = _input.ReadBytes();
            if (id.Length == 0)
            {
                return -1;
            }

            if (id.Length != length)
            {
                throw new InvalidDataException($"span field {WireFormat.GetTagFieldNumber(tag)} must hold {length} bytes, got {id.Length}");
            }

            return (int)_input.Position - length;
        }

        private ulong Time(uint tag)
        {
            Expect(tag, WireFormat.WireType.Fixed64);
            var time = _input.ReadFixed64();
            _timeOffsets.Add((int)_input.Position - sizeof(ulong));
            return time;
        }

        private static void Expect(uint tag, WireFormat.WireType wireType)
        {
            if (WireFormat.GetTagWireType(tag) != wireType)
            {
                throw new InvalidDataException($"field {WireFormat.GetTagFieldNumber(tag)} has wire type {WireFormat.GetTagWireType(tag)}, expected {wireType}");
            }
        }

        /// <summary>Numbers the traces in order of first appearance and finds each parent among the spans of its trace.</summary>
        private RequestTemplate Resolve()
        {
            var traces = new Dictionary<UInt128, int>();
            var firstSpanOfTrace = new List<int>();
            var traceOfSpan = new int[_spanIdOffsets.Count];
            var spans = new Dictionary<(int Trace, ulong SpanId), int>();
            for (var span = 0; span < traceOfSpan.Length; span++)
            {
                var traceId = BinaryPrimitives.ReadUInt128BigEndian(bytes.AsSpan(_traceIdOffsets[span]));
                if (!traces.TryGetValue(traceId, out var trace))
                {
                    trace = traces.Count;
                    traces.Add(traceId, trace);
                    firstSpanOfTrace.Add(span);
                }

                traceOfSpan[span] = trace;
                spans.TryAdd((trace, SpanIdAt(_spanIdOffsets[span])), span);
            }

            // A parent outside the request keeps its bytes: it referred to no span of the request and still does not.
            var parents = new List<(int Offset, int Span)>();
            for (var span = 0; span < traceOfSpan.Length; span++)
            {
                if (_parentOffsets[span] >= 0 && spans.TryGetValue((traceOfSpan[span], SpanIdAt(_parentOffsets[span])), out var parent))
                {
                    parents.Add((_parentOffsets[span], parent));
                }
            }

            return new RequestTemplate(
                bytes,
                [.. _traceIdOffsets],
                [.. _spanIdOffsets],
                traceOfSpan,
                [.. firstSpanOfTrace],
                [.. parents],
                [.. _timeOffsets],
                _baseTime == ulong.MaxValue ? 0 : _baseTime,
                [.. _spanRanges],
                [.. _groupOfSpan],
                [.. _groups]);
        }

        private ulong SpanIdAt(int offset) => BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(offset));
    }
}
