using System.Net;
using System.Net.Http.Headers;
using OpenTelemetry.Proto.Trace.V1;

namespace OtelStorage.LoadGen.Verification;

/// <summary>Reads traces from Query.Api's <c>GET /traces/{id}</c> as OTLP protobuf.</summary>
public sealed class QueryApiTraceSource : ITraceSource, IDisposable
{
    private readonly HttpClient _client;

    public QueryApiTraceSource(Uri queryUrl, IReadOnlyDictionary<string, string> headers)
    {
        _client = new HttpClient { BaseAddress = queryUrl, Timeout = TimeSpan.FromSeconds(30) };
        _client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/x-protobuf"));
        foreach (var (key, value) in headers)
        {
            _client.DefaultRequestHeaders.TryAddWithoutValidation(key, value);
        }
    }

    public async Task<IReadOnlyList<SpanFingerprint>?> GetSpansAsync(string traceIdHex, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetAsync(new Uri("traces/" + traceIdHex, UriKind.Relative), cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return [];
            }

            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var trace = TracesData.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(cancellationToken));
            return [.. SpanContent.Of(trace.ResourceSpans).Select(s => s.Span)];
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
