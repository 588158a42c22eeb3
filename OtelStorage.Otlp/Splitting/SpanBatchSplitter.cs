using Google.Protobuf;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.Otlp.Splitting;

/// <summary>
/// Splits a request into batches whose encoding stays under a byte budget, keeping each span with its
/// resource and scope. Batches share the original Resource, InstrumentationScope and Span objects: only
/// the ResourceSpans and ScopeSpans shells are new, so nothing is copied or re-parsed.
/// </summary>
public static class SpanBatchSplitter
{
    /// <summary>
    /// Splits <paramref name="request"/> into batches of at most <paramref name="maxBatchBytes"/> encoded bytes.
    /// A single span larger than the budget travels alone. Spans are counted from the request, so it should
    /// already be validated. Empty resource and scope groups are dropped.
    /// </summary>
    /// <param name="request">The request to split.</param>
    /// <param name="maxBatchBytes">The byte budget of one batch.</param>
    /// <param name="received">
    /// The bytes <paramref name="request"/> was decoded from, if it has not been changed since (no span removed).
    /// A request that fits the budget then travels as these bytes, with no size computation or re-encoding.
    /// </param>
    public static List<SpanBatch> Split(ExportTraceServiceRequest request, int maxBatchBytes, ReadOnlyMemory<byte> received = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchBytes, 1024);
        var batches = new List<SpanBatch>(1);

        if (!received.IsEmpty && received.Length <= maxBatchBytes)
        {
            var count = CountSpans(request);
            if (count > 0)
            {
                batches.Add(new SpanBatch(request, count, received.Length, received));
            }

            return batches;
        }

        var total = request.CalculateSize();
        if (total <= maxBatchBytes)
        {
            var count = CountSpans(request);
            if (count > 0)
            {
                batches.Add(new SpanBatch(request, count, total));
            }

            return batches;
        }

        var builder = new BatchBuilder(batches, maxBatchBytes);
        foreach (var resourceSpans in request.ResourceSpans)
        {
            builder.StartResource(resourceSpans);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                builder.StartScope(scopeSpans);
                foreach (var span in scopeSpans.Spans)
                {
                    builder.Add(span);
                }
            }
        }

        builder.Flush();
        return batches;
    }

    public static int CountSpans(ExportTraceServiceRequest request)
    {
        var count = 0;
        foreach (var resourceSpans in request.ResourceSpans)
        {
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                count += scopeSpans.Spans.Count;
            }
        }

        return count;
    }

    /// <summary>The encoded size of a length-delimited field with a one-byte tag.</summary>
    private static int FieldSize(int length) => 1 + CodedOutputStream.ComputeLengthSize(length) + length;

    private sealed class BatchBuilder(List<SpanBatch> batches, int maxBatchBytes)
    {
        // A tag byte plus the longest length prefix a group can need.
        private const int GroupOverhead = 6;

        private ResourceSpans? _sourceResource;
        private ScopeSpans? _sourceScope;
        private int _resourceShellSize;
        private int _scopeShellSize;

        private ExportTraceServiceRequest? _current;
        private ResourceSpans? _currentResource;
        private ScopeSpans? _currentScope;
        private int _currentSpans;
        // An upper bound of the open batch's encoded size.
        private int _currentSize;

        public void StartResource(ResourceSpans source)
        {
            _sourceResource = source;
            _currentResource = null;
            _currentScope = null;
            _resourceShellSize = (source.Resource is null ? 0 : FieldSize(source.Resource.CalculateSize()))
                + (source.SchemaUrl.Length == 0 ? 0 : CodedOutputStream.ComputeStringSize(source.SchemaUrl) + 1);
        }

        public void StartScope(ScopeSpans source)
        {
            _sourceScope = source;
            _currentScope = null;
            _scopeShellSize = (source.Scope is null ? 0 : FieldSize(source.Scope.CalculateSize()))
                + (source.SchemaUrl.Length == 0 ? 0 : CodedOutputStream.ComputeStringSize(source.SchemaUrl) + 1);
        }

        public void Add(Span span)
        {
            var spanSize = FieldSize(span.CalculateSize());
            var needed = spanSize
                + (_currentResource is null ? _resourceShellSize + GroupOverhead : 0)
                + (_currentScope is null ? _scopeShellSize + GroupOverhead : 0);
            if (_currentSpans > 0 && _currentSize + needed > maxBatchBytes)
            {
                Flush();
                needed = spanSize + _resourceShellSize + _scopeShellSize + (2 * GroupOverhead);
            }

            _current ??= new ExportTraceServiceRequest();
            if (_currentResource is null)
            {
                _currentResource = new ResourceSpans { Resource = _sourceResource!.Resource, SchemaUrl = _sourceResource.SchemaUrl };
                _current.ResourceSpans.Add(_currentResource);
                _currentScope = null;
            }

            if (_currentScope is null)
            {
                _currentScope = new ScopeSpans { Scope = _sourceScope!.Scope, SchemaUrl = _sourceScope.SchemaUrl };
                _currentResource.ScopeSpans.Add(_currentScope);
            }

            _currentScope.Spans.Add(span);
            _currentSpans++;
            _currentSize += needed;
        }

        public void Flush()
        {
            if (_current is not null && _currentSpans > 0)
            {
                batches.Add(new SpanBatch(_current, _currentSpans, _current.CalculateSize()));
            }

            _current = null;
            _currentResource = null;
            _currentScope = null;
            _currentSpans = 0;
            _currentSize = 0;
        }
    }
}
