using System.Collections.Concurrent;
using OtelStorage.LoadGen.Workload;

namespace OtelStorage.LoadGen.Running;

/// <summary>The spans the server acknowledged, by trace, for verification.</summary>
public sealed class AcknowledgedSpans
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<ulong>> _byTrace = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, ConcurrentBag<ulong>> ByTrace => _byTrace;

    public long SpanCount => _byTrace.Values.Sum(b => (long)b.Count);

    /// <summary>Records the IDs as sent, read from the patched bytes at the template's offsets: no parsing.</summary>
    public void Add(PatchedRequest request)
    {
        var traces = new ConcurrentBag<ulong>?[request.Template.TraceCount];
        for (var span = 0; span < request.SpanCount; span++)
        {
            ref var spans = ref traces[request.TraceOf(span)];
            spans ??= _byTrace.GetOrAdd(Convert.ToHexStringLower(request.TraceId(span)), _ => []);
            spans.Add(request.SpanId(span));
        }
    }
}
