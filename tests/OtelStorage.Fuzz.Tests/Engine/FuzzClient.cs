using System.Diagnostics;
using System.Net;
using System.Text;

namespace OtelStorage.Fuzz.Tests.Engine;

/// <summary>
/// Sends cases as they are written: paths without canonicalization, headers without validation, gRPC as raw
/// HTTP/2 frames with prior knowledge (so the framing itself can be broken), and answers read in full.
/// </summary>
public sealed class FuzzClient : IDisposable
{
    private readonly HttpClient _http1;
    private readonly HttpClient _http2;
    private readonly Func<FuzzTarget, Uri> _baseUri;

    public FuzzClient(Func<FuzzTarget, Uri> baseUri)
    {
        _baseUri = baseUri;
        _http1 = new HttpClient(Handler(), disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _http2 = new HttpClient(Handler(), disposeHandler: true)
        {
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    public async Task<Observation> SendAsync(FuzzCase c, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(c.Timeout);
        try
        {
            using var request = BuildRequest(c);
            var client = c.Target == FuzzTarget.IngestGrpc ? _http2 : _http1;
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, deadline.Token);
            var body = await response.Content.ReadAsByteArrayAsync(deadline.Token);
            var grpcStatus = Header(response, "grpc-status");
            return new Observation
            {
                HttpStatus = (int)response.StatusCode,
                ContentType = response.Content.Headers.ContentType?.ToString(),
                Body = body,
                HasAllowHeader = response.Content.Headers.Allow.Count > 0,
                GrpcStatus = int.TryParse(grpcStatus, System.Globalization.CultureInfo.InvariantCulture, out var code) ? code : null,
                GrpcMessage = Header(response, "grpc-message") is { } message ? Uri.UnescapeDataString(message) : null,
                Elapsed = clock.Elapsed,
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new Observation { Error = $"no answer within {c.Timeout.TotalSeconds:0} s", TimedOut = true, Elapsed = clock.Elapsed };
        }
        catch (HttpRequestException e)
        {
            return new Observation { Error = Describe(e), Elapsed = clock.Elapsed };
        }
        catch (Exception e) when (e is UriFormatException or FormatException or InvalidOperationException)
        {
            // HttpClient refused to put the case on the wire; it is counted apart and never reaches the service.
            return new Observation { Error = "not sent: " + e.Message, NotSent = true, Elapsed = clock.Elapsed };
        }
    }

    public void Dispose()
    {
        _http1.Dispose();
        _http2.Dispose();
    }

    private HttpRequestMessage BuildRequest(FuzzCase c)
    {
        var uri = new Uri(_baseUri(c.Target).GetLeftPart(UriPartial.Authority) + c.PathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        var request = new HttpRequestMessage(new HttpMethod(c.Method), uri);
        if (c.Target == FuzzTarget.IngestGrpc)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(c.Body);
        }

        foreach (var (name, value) in c.Headers)
        {
            if (IsContentHeader(name))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return request;
    }

    private static bool IsContentHeader(string name) =>
        name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) && !name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var trailer) ? trailer.FirstOrDefault()
        : response.Headers.TryGetValues(name, out var header) ? header.FirstOrDefault()
        : null;

    private static string Describe(Exception e)
    {
        var text = new StringBuilder(e.Message);
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            text.Append(" <- ").Append(inner.GetType().Name).Append(": ").Append(inner.Message);
        }

        return text.ToString();
    }

    private static SocketsHttpHandler Handler() => new()
    {
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        MaxConnectionsPerServer = 32,
        EnableMultipleHttp2Connections = true,
        // Send header values byte for byte (UTF-8), so non-ASCII tenants and tags reach the server.
        RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8,
        ResponseHeaderEncodingSelector = (_, _) => Encoding.UTF8,
    };
}
