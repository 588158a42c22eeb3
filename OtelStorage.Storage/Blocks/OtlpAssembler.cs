using Google.Protobuf;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.Storage.Blocks;

/// <summary>Groups stored spans back into OTLP <c>TracesData</c>: one ResourceSpans per resource, one ScopeSpans per scope.</summary>
public static class OtlpAssembler
{
    /// <summary>
    /// Builds <c>TracesData</c> from <paramref name="spans"/>. Resources and scopes are grouped by content, in order
    /// of first appearance; spans keep their order. Duplicate (traceId, spanId) pairs are dropped when
    /// <paramref name="deduplicate"/> is set, keeping the first.
    /// </summary>
    public static TracesData ToTracesData(IEnumerable<StoredSpan> spans, bool deduplicate = true)
    {
        var data = new TracesData();
        var resources = new Dictionary<(ByteString, string), (ResourceSpans Rs, Dictionary<(ByteString, string), ScopeSpans> Scopes)>();
        var seen = new HashSet<(UInt128, ulong)>();
        foreach (var s in spans)
        {
            if (deduplicate && !seen.Add(s.Key))
            {
                continue;
            }

            var resourceKey = (s.Resource?.ToByteString() ?? ByteString.Empty, s.ResourceSchemaUrl);
            if (!resources.TryGetValue(resourceKey, out var entry))
            {
                var rs = new ResourceSpans { Resource = s.Resource?.Clone(), SchemaUrl = s.ResourceSchemaUrl };
                data.ResourceSpans.Add(rs);
                entry = (rs, new Dictionary<(ByteString, string), ScopeSpans>());
                resources[resourceKey] = entry;
            }

            var scopeKey = (s.Scope?.ToByteString() ?? ByteString.Empty, s.ScopeSchemaUrl);
            if (!entry.Scopes.TryGetValue(scopeKey, out var scopeSpans))
            {
                scopeSpans = new ScopeSpans { Scope = s.Scope?.Clone(), SchemaUrl = s.ScopeSchemaUrl };
                entry.Rs.ScopeSpans.Add(scopeSpans);
                entry.Scopes[scopeKey] = scopeSpans;
            }

            scopeSpans.Spans.Add(s.Span);
        }

        return data;
    }
}
