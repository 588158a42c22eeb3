using System.Net.Http.Headers;
using System.Net.Http.Json;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.LoadGen.Verification;

/// <summary>Reads traces from Query.Api's <c>POST /traces/lookup</c> as OTLP protobuf, many per request.</summary>
public sealed class QueryApiTraceSource : ITraceSource, IDisposable
{
    private readonly HttpClient _client;

    public QueryApiTraceSource(Uri queryUrl, IReadOnlyDictionary<string, string> headers)
    {
        _client = new HttpClient { BaseAddress = queryUrl, Timeout = TimeSpan.FromSeconds(60) };
        _client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-protobuf"));
        foreach (var (key, value) in headers)
        {
            _client.DefaultRequestHeaders.TryAddWithoutValidation(key, value);
        }
    }

    public async Task<IReadOnlyDictionary<string, IReadOnlyList<SpanFingerprint>>?> GetSpansAsync(IReadOnlyList<string> traceIdsHex, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.PostAsJsonAsync(new Uri("traces/lookup", UriKind.Relative), new { traceIds = traceIdsHex }, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var traces = TracesData.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            return SpanContent.Of(traces.ResourceSpans)
                .GroupBy(s => Convert.ToHexStringLower(s.TraceId.Span), s => s.Span, StringComparer.Ordinal)
                .ToDictionary(t => t.Key, t => (IReadOnlyList<SpanFingerprint>)[.. t], StringComparer.Ordinal);
        }
        catch (HttpRequestException)
        {
            return null; // Query.Api down or restarting
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null; // the request's own timeout
        }
    }

    public void Dispose() => _client.Dispose();
}
