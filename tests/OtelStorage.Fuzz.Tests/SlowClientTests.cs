using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using OtelStorage.Fuzz.Tests.Engine;
using OtelStorage.Fuzz.Tests.Generators;
using OtelStorage.Fuzz.Tests.Stack;
using Xunit;

namespace OtelStorage.Fuzz.Tests;

/// <summary>
/// Slow-loris clients, bounded: a few connections that send their headers or body a few bytes at a time, while other
/// clients export and query. The services must keep serving the others, cut slow bodies off (Kestrel's minimum request
/// body data rate, 240 B/s after a 5 s grace), never answer a slow client with a 5xx, and, in the full run, close
/// connections whose headers never finish (Kestrel's 30 s request headers timeout).
/// </summary>
public sealed class SlowClientTests(FuzzStack stack)
{
    private static readonly TimeSpan Drip = TimeSpan.FromMilliseconds(500);

    [Fact(Timeout = FuzzTimeouts.Test)]
    public async Task SlowClientsAreCutOffWhileOtherClientsAreServed()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var full = stack.Settings.Full;
        // Long enough in the full run for the 30 s header timeout; the reduced run checks the body rate only.
        var budget = TimeSpan.FromSeconds(full ? 45 : 15);
        var perKind = full ? 6 : 3;
        var stats = stack.Ledger.Category("slow-loris", "IngestHttp+Query", "slow headers and slow bodies on OTLP/HTTP, OTLP/gRPC and Query.Api while others are served");
        stack.ResetPeaks();
        var body = OtlpSamples.Minimal(new Random(5)).ToByteArray();

        var slow = new List<Task<(string Kind, string Outcome, string? Problem)>>();
        for (var i = 0; i < perKind; i++)
        {
            slow.Add(SlowHeadersAsync("ingest slow headers", stack.IngestHttpPort, budget, full, cancellationToken));
            slow.Add(SlowBodyAsync("ingest slow body", stack.IngestHttpPort, "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 100000\r\n\r\n", budget, cancellationToken));
            slow.Add(SlowHeadersAsync("query slow headers", stack.QueryPort, budget, full, cancellationToken));
            slow.Add(SlowGrpcAsync(budget, cancellationToken));
        }

        var witness = WitnessAsync(budget, body, cancellationToken);
        var results = await Task.WhenAll(slow);
        var served = await witness;

        var problems = new List<string>();
        foreach (var (kind, outcome, problem) in results)
        {
            stats.Record(new Verdict($"{kind}: {outcome}", problem));
            if (problem is not null)
            {
                problems.Add($"{kind}: {problem}");
            }
        }

        stats.Record(new Verdict($"witness: {served.Ok} exports and queries served, slowest {served.Slowest.TotalMilliseconds:0} ms", served.Problem));
        if (served.Problem is not null)
        {
            problems.Add(served.Problem);
        }

        stack.Ledger.ObserveMemory(stack.Memory());
        problems.AddRange(await stack.CheckStillServingAsync(cancellationToken));
        TestContext.Current.TestOutputHelper?.WriteLine($"slow-loris: {stats.OutcomeSummary()}");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>Valid exports and queries, one after another, while the slow clients hang on: each must succeed within 5 s.</summary>
    private async Task<(int Ok, TimeSpan Slowest, string? Problem)> WitnessAsync(TimeSpan budget, byte[] body, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        var ok = 0;
        var slowest = TimeSpan.Zero;
        while (clock.Elapsed < budget)
        {
            var one = Stopwatch.StartNew();
            try
            {
                using var export = await http.PostAsync(new Uri(stack.IngestHttp, "/v1/traces"), new ByteArrayContent(body) { Headers = { ContentType = new("application/x-protobuf") } }, cancellationToken);
                using var query = await http.GetAsync(new Uri(stack.QueryUri, "/api/services"), cancellationToken);
                if (export.StatusCode != HttpStatusCode.OK || query.StatusCode != HttpStatusCode.OK)
                {
                    return (ok, slowest, $"while slow clients were connected, an export answered {(int)export.StatusCode} and a query {(int)query.StatusCode}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return (ok, slowest, $"while slow clients were connected, a normal client was not served: {e.Message}");
            }

            ok++;
            slowest = one.Elapsed > slowest ? one.Elapsed : slowest;
            await Task.Delay(200, cancellationToken);
        }

        return (ok, slowest, null);
    }

    /// <summary>A request line, then one header byte every 500 ms, never finishing the headers.</summary>
    private static async Task<(string, string, string?)> SlowHeadersAsync(string kind, int port, TimeSpan budget, bool mustBeCut, CancellationToken cancellationToken)
    {
        var (outcome, status, elapsed) = await DripAsync(port, "GET /api/services HTTP/1.1\r\nHost: x\r\nX-Slow: ", "a", budget, cancellationToken);
        string? problem = status >= 500 ? $"answered {status}" : null;
        if (problem is null && mustBeCut && outcome == "still open")
        {
            problem = $"headers never finished, and the connection was still open after {budget.TotalSeconds:0} s";
        }

        return (kind, outcome == "still open" ? $"still open at {elapsed.TotalSeconds:0} s" : $"{outcome} within {Bucket(elapsed)}", problem);
    }

    /// <summary>Complete headers announcing 100,000 bytes, then 10 bytes every 500 ms (20 B/s, under Kestrel's 240 B/s minimum).</summary>
    private static async Task<(string, string, string?)> SlowBodyAsync(string kind, int port, string head, TimeSpan budget, CancellationToken cancellationToken)
    {
        var (outcome, status, elapsed) = await DripAsync(port, head, "\n\u0001xxxxxxxx", budget, cancellationToken);
        var problem = status >= 500 ? $"answered {status} to a slow body"
            : outcome == "still open" ? $"a body sent at 20 B/s was still being accepted after {budget.TotalSeconds:0} s"
            : null;
        return (kind, outcome == "still open" ? "still open" : $"{outcome} within {Bucket(elapsed)}", problem);
    }

    /// <summary>An OTLP/gRPC call whose message trickles in at 10 bytes every 500 ms.</summary>
    private async Task<(string, string, string?)> SlowGrpcAsync(TimeSpan budget, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler();
        using var http = new HttpClient(handler) { Timeout = budget + TimeSpan.FromSeconds(10) };
        var message = OtlpSamples.EveryField(new Random(9)).ToByteArray();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(stack.IngestGrpc, IngestCases.ExportPath))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new DripContent(IngestCases.Frame(message), budget),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        request.Headers.TryAddWithoutValidation("TE", "trailers");
        var clock = Stopwatch.StartNew();
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var grpcStatus = response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.First() : response.Headers.TryGetValues("grpc-status", out var h) ? h.First() : "-";
            var problem = (int)response.StatusCode >= 500 || grpcStatus == "2" ? $"answered HTTP {(int)response.StatusCode}, grpc-status {grpcStatus}" : null;
            return ("grpc slow message", $"answered HTTP {(int)response.StatusCode} grpc-status {grpcStatus} within {Bucket(clock.Elapsed)}", problem);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            var cut = clock.Elapsed < budget;
            return ("grpc slow message", cut ? $"reset by the server within {Bucket(clock.Elapsed)}" : "still open", cut ? null : $"a message sent at 20 B/s was still being accepted after {budget.TotalSeconds:0} s");
        }
    }

    /// <summary>Sends <paramref name="head"/>, then <paramref name="drip"/> every 500 ms until the server answers or closes, or the budget ends.</summary>
    private static async Task<(string Outcome, int Status, TimeSpan Elapsed)> DripAsync(int port, string head, string drip, TimeSpan budget, CancellationToken cancellationToken)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        var stream = tcp.GetStream();
        var clock = Stopwatch.StartNew();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var answer = ReadAnswerAsync(stream, stop.Token);
        var bytes = Encoding.ASCII.GetBytes(drip);
        while (clock.Elapsed < budget && !answer.IsCompleted)
        {
            try
            {
                await stream.WriteAsync(bytes, cancellationToken);
            }
            catch (IOException)
            {
                break; // the server closed the connection; the reader sees it
            }

            await Task.WhenAny(answer, Task.Delay(Drip, cancellationToken));
        }

        if (!answer.IsCompleted)
        {
            await stop.CancelAsync();
            return ("still open", 0, clock.Elapsed);
        }

        var (status, closed) = await answer;
        return (status > 0 ? $"answered {status}" : closed ? "closed by the server" : "reset by the server", status, clock.Elapsed);
    }

    /// <summary>Reads until the server closes: the status code of its answer (0 if none) and whether it closed cleanly.</summary>
    private static async Task<(int Status, bool Closed)> ReadAnswerAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    return (Status(received), true);
                }

                received.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
            return (Status(received), false);
        }
        catch (OperationCanceledException)
        {
            return (Status(received), false);
        }
    }

    private static int Status(MemoryStream received)
    {
        var text = Encoding.ASCII.GetString(received.GetBuffer(), 0, (int)Math.Min(received.Length, 64));
        return text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture, out var status) ? status : 0;
    }

    /// <summary>Elapsed time in 5 s buckets, so outcomes group in the summary.</summary>
    private static string Bucket(TimeSpan elapsed) => $"{(Math.Floor(elapsed.TotalSeconds / 5) + 1) * 5:0} s";

    /// <summary>Request content written 10 bytes every 500 ms, for up to the budget.</summary>
    private sealed class DripContent(byte[] bytes, TimeSpan budget) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < bytes.Length && clock.Elapsed < budget; i += 10)
            {
                await stream.WriteAsync(bytes.AsMemory(i, Math.Min(10, bytes.Length - i)));
                await stream.FlushAsync();
                await Task.Delay(Drip);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
