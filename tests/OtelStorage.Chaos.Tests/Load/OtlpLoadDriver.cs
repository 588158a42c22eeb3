using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.LoadGen.Verification;
using OtelStorage.Otlp.Validation;
using OtelStorage.Testing;

namespace OtelStorage.Chaos.Tests.Load;

/// <summary>How the driver offers load.</summary>
public sealed record LoadDriverOptions
{
    /// <summary>New spans per second. Retries come on top, bounded by the workers and their backoff.</summary>
    public double SpansPerSecond { get; init; } = 1_000;

    /// <summary>Requests in flight at once (each worker sends one request at a time and retries it).</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>The gRPC deadline of one attempt.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A request still failing this long after its first attempt is abandoned (counted, not acknowledged).</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The longest wait between attempts, even when RetryInfo asks for more.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The driver stops generating after this many spans, whatever the scenario does.</summary>
    public long MaxSpans { get; init; } = 2_000_000;

    /// <summary>The driver stops generating after this long, whatever the scenario does.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Whether a partial success acknowledges the spans the server's validation keeps. When false, only spans of
    /// requests accepted in full count as acknowledged; partial successes are still counted.
    /// </summary>
    public bool AcknowledgePartialSuccess { get; init; } = true;
}

/// <summary>One request the server accepted: when it was first sent, when the success came, after how many attempts.</summary>
public sealed record AcknowledgedRequest(int Number, int Spans, DateTimeOffset FirstSent, DateTimeOffset Answered, int Attempts);

/// <summary>
/// Sustained OTLP/gRPC load (the official protocol, over Grpc.Net.Client and the generated OTLP types) that records
/// in a <see cref="SpanLedger"/> every span it sends and exactly which were acknowledged. A request counts only on a
/// success answer: a full success acknowledges all its spans, a partial success only those the server's validation
/// keeps (the same <see cref="SpanValidator"/>).
/// Failed attempts (UNAVAILABLE, RESOURCE_EXHAUSTED, a broken connection) are retried after the server's RetryInfo,
/// or an exponential backoff, as OTLP exporters do; a request that never succeeds is counted as abandoned.
/// </summary>
public sealed class OtlpLoadDriver : IAsyncDisposable
{
    private static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(1);
    private readonly GrpcChannel _channel;
    private readonly TraceService.TraceServiceClient _client;
    private readonly IExportWorkload _workload;
    private readonly ConcurrentDictionary<int, AcknowledgedRequest> _acknowledgedRequests = new();
    private readonly LoadDriverOptions _options;
    private readonly Channel<ExportTraceServiceRequest> _requests;
    private readonly CancellationTokenSource _stopGenerating = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ConcurrentDictionary<string, long> _outcomes = new(StringComparer.Ordinal);
    private readonly List<(long Mark, TaskCompletionSource<(long Answered, ExportTraceServiceRequest Request)> Done)> _successWaiters = [];
    private readonly Stopwatch _running = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource? _resumed;
    private Task? _producer;
    private Task[] _workers = [];
    private long _requestsAcknowledged;
    private long _requestsAbandoned;
    private long _spansAbandoned;
    private long _partialSuccesses;

    public OtlpLoadDriver(Uri grpcEndpoint, IExportWorkload workload, LoadDriverOptions options)
    {
        _channel = GrpcChannel.ForAddress(grpcEndpoint, new GrpcChannelOptions
        {
            MaxSendMessageSize = null,
            // The channel's own reconnect backoff grows to 120 s by default; bounded here, so the time to the first
            // accepted export after a restart measures the server, not the client's backoff.
            InitialReconnectBackoff = TimeSpan.FromMilliseconds(200),
            MaxReconnectBackoff = TimeSpan.FromSeconds(1),
        });
        _client = new TraceService.TraceServiceClient(_channel);
        _workload = workload;
        _options = options;
        _requests = Channel.CreateBounded<ExportTraceServiceRequest>(new BoundedChannelOptions(options.Concurrency)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Every span sent, and which were acknowledged, for the load generator's <see cref="TraceVerifier"/>.</summary>
    public SpanLedger Ledger { get; } = new();

    public long SpansGenerated => _workload.SpansGenerated;

    public long RequestsAcknowledged => Interlocked.Read(ref _requestsAcknowledged);

    public long RequestsAbandoned => Interlocked.Read(ref _requestsAbandoned);

    public long SpansAbandoned => Interlocked.Read(ref _spansAbandoned);

    public long PartialSuccesses => Interlocked.Read(ref _partialSuccesses);

    /// <summary>Attempts by outcome: <c>OK</c>, a gRPC status name, and <c>ResourceExhausted without RetryInfo</c>.</summary>
    public IReadOnlyDictionary<string, long> Outcomes() => new Dictionary<string, long>(_outcomes, StringComparer.Ordinal);

    public long Outcome(string name) => _outcomes.GetValueOrDefault(name);

    /// <summary>Which acknowledged request carried the span, and when it was sent and acknowledged; for failure messages.</summary>
    public string DescribeSpan(string traceId, ulong spanId) =>
        Ledger.RequestOf(traceId, spanId) is { } number && _acknowledgedRequests.TryGetValue(number, out var r)
            ? $"request #{r.Number} ({r.Spans} spans), first sent {r.FirstSent:HH:mm:ss.fff}, acknowledged {r.Answered:HH:mm:ss.fff} after {r.Attempts} attempt(s)"
            : "not acknowledged";

    public void Start()
    {
        _running.Start();
        _producer = Task.Run(ProduceAsync);
        _workers = [.. Enumerable.Range(0, _options.Concurrency).Select(_ => Task.Run(SendAsync))];
    }

    /// <summary>
    /// Stops generating new requests until <see cref="Resume"/>; requests already generated are still sent (and
    /// retried). For checks that must not compete with the load for the machine.
    /// </summary>
    public void Pause()
    {
        lock (_gate)
        {
            _resumed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Generates again after <see cref="Pause"/>, at the rate, without a burst to catch up.</summary>
    public void Resume()
    {
        TaskCompletionSource? resumed;
        lock (_gate)
        {
            resumed = _resumed;
            _resumed = null;
        }

        resumed?.TrySetResult();
    }

    /// <summary>
    /// Stops generating and lets every request in flight finish (succeed, or be abandoned after its retries) within
    /// <paramref name="drainTimeout"/>; what is still retrying then is abandoned.
    /// </summary>
    public async Task StopAsync(TimeSpan drainTimeout)
    {
        await _stopGenerating.CancelAsync();
        var all = Task.WhenAll([_producer ?? Task.CompletedTask, .. _workers]);
        try
        {
            await all.WaitAsync(drainTimeout);
        }
        catch (TimeoutException)
        {
            await _abort.CancelAsync();
            await all.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>
    /// Waits for a successful export whose attempt started at or after <paramref name="mark"/> (a
    /// <see cref="Stopwatch.GetTimestamp"/>), and returns how long after the mark it was answered, and the request.
    /// </summary>
    public async Task<(TimeSpan Elapsed, ExportTraceServiceRequest Request)> WaitForExportStartedAfterAsync(long mark, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<(long Answered, ExportTraceServiceRequest Request)>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_successWaiters)
        {
            _successWaiters.Add((mark, done));
        }

        try
        {
            var (answered, request) = await done.Task.WaitAsync(timeout, cancellationToken);
            return (Stopwatch.GetElapsedTime(mark, answered), request);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no export started after the mark succeeded within {timeout.TotalSeconds:0} s; outcomes so far: {Describe(Outcomes())}");
        }
        finally
        {
            lock (_successWaiters)
            {
                _successWaiters.RemoveAll(w => w.Done == done);
            }
        }
    }

    /// <summary>Waits until at least <paramref name="spans"/> spans are acknowledged.</summary>
    public Task WaitForAcknowledgedAsync(long spans, TimeSpan timeout, CancellationToken cancellationToken) =>
        Eventually.ValueAsync(
            _ => Task.FromResult(Ledger.AcknowledgedCount),
            acknowledged => acknowledged >= spans,
            timeout,
            cancellationToken,
            what: $"{spans} spans acknowledged",
            describe: acknowledged => $"{acknowledged} acknowledged; outcomes: {Describe(Outcomes())}",
            interval: TimeSpan.FromMilliseconds(20));

    /// <summary>Waits until some attempt has had the outcome <paramref name="name"/> more than <paramref name="after"/> times.</summary>
    public Task WaitForOutcomeAsync(string name, long after, TimeSpan timeout, CancellationToken cancellationToken) =>
        Eventually.ValueAsync(
            _ => Task.FromResult(Outcome(name)),
            count => count > after,
            timeout,
            cancellationToken,
            what: $"more than {after} {name} answers",
            describe: _ => $"outcomes: {Describe(Outcomes())}",
            interval: TimeSpan.FromMilliseconds(20));

    public static string Describe(IReadOnlyDictionary<string, long> outcomes) =>
        outcomes.Count == 0 ? "none" : string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"));

    public async ValueTask DisposeAsync()
    {
        await _abort.CancelAsync();
        await _stopGenerating.CancelAsync();
        try
        {
            await Task.WhenAll([_producer ?? Task.CompletedTask, .. _workers]).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Disposal after a failed scenario: nothing waits on these tasks any more.
        }

        _channel.Dispose();
        _stopGenerating.Dispose();
        _abort.Dispose();
    }

    private async Task ProduceAsync()
    {
        var due = TimeSpan.Zero;
        try
        {
            while (_workload.SpansGenerated < _options.MaxSpans && _running.Elapsed < _options.MaxDuration)
            {
                Task? paused;
                lock (_gate)
                {
                    paused = _resumed?.Task;
                }

                if (paused is not null)
                {
                    await paused.WaitAsync(_stopGenerating.Token);
                    due = _running.Elapsed;
                }

                var wait = due - _running.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _stopGenerating.Token);
                }
                else if (-wait > CatchUpLimit)
                {
                    // After the workers were all blocked (an outage), resume at the rate instead of bursting to catch up.
                    due = _running.Elapsed;
                }

                // Paced by the spans each request holds: realistic requests carry whole traces, so their sizes vary.
                var generated = _workload.SpansGenerated;
                await _requests.Writer.WriteAsync(_workload.NextRequest(), _stopGenerating.Token);
                due += TimeSpan.FromSeconds((_workload.SpansGenerated - generated) / _options.SpansPerSecond);
            }
        }
        catch (OperationCanceledException) when (_stopGenerating.IsCancellationRequested)
        {
        }
        finally
        {
            _requests.Writer.Complete();
        }
    }

    private async Task SendAsync()
    {
        await foreach (var request in _requests.Reader.ReadAllAsync(CancellationToken.None))
        {
            await SendWithRetriesAsync(request);
        }
    }

    private async Task SendWithRetriesAsync(ExportTraceServiceRequest request)
    {
        var first = Stopwatch.GetTimestamp();
        var firstSent = DateTimeOffset.Now;
        Ledger.Sent(request);
        for (var attempt = 0; ; attempt++)
        {
            if (_abort.IsCancellationRequested)
            {
                Abandon(request);
                return;
            }

            var started = Stopwatch.GetTimestamp();
            TimeSpan retryDelay;
            try
            {
                var response = await _client.ExportAsync(request, deadline: DateTime.UtcNow + _options.AttemptTimeout, cancellationToken: _abort.Token);
                Count("OK");
                var number = (int)Interlocked.Increment(ref _requestsAcknowledged);
                _acknowledgedRequests[number] = new AcknowledgedRequest(number, request.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => s.Spans.Count)), firstSent, DateTimeOffset.Now, attempt + 1);
                if (response.PartialSuccess is { RejectedSpans: > 0 } partial)
                {
                    AcknowledgePartially(request, partial.RejectedSpans, number);
                }
                else
                {
                    Ledger.Acknowledge(request, number);
                }

                Succeeded(started, Stopwatch.GetTimestamp(), request);
                return;
            }
            catch (RpcException e) when (!_abort.IsCancellationRequested)
            {
                var retryInfo = e.GetRpcStatus()?.GetDetail<RetryInfo>();
                Count(e.StatusCode == StatusCode.ResourceExhausted && retryInfo is null ? "ResourceExhausted without RetryInfo" : e.StatusCode.ToString());
                if (!IsRetryable(e.StatusCode) || Stopwatch.GetElapsedTime(first) > _options.GiveUpAfter)
                {
                    Abandon(request);
                    return;
                }

                retryDelay = retryInfo?.RetryDelay?.ToTimeSpan() ?? Backoff(attempt);
            }
            catch (Exception e) when (_abort.IsCancellationRequested && e is RpcException or OperationCanceledException)
            {
                Abandon(request);
                return;
            }

            try
            {
                await Task.Delay(retryDelay < _options.MaxRetryDelay ? retryDelay : _options.MaxRetryDelay, _abort.Token);
            }
            catch (OperationCanceledException)
            {
                Abandon(request);
                return;
            }
        }
    }

    /// <summary>The spans a partial success kept are those the server's validation keeps; checked against its count.</summary>
    private void AcknowledgePartially(ExportTraceServiceRequest request, long rejected, int number)
    {
        Interlocked.Increment(ref _partialSuccesses);
        if (!_options.AcknowledgePartialSuccess)
        {
            return;
        }

        var kept = request.Clone();
        var validation = SpanValidator.RemoveInvalidSpans(kept);
        if (validation.RejectedSpans == rejected)
        {
            Ledger.Acknowledge(kept, number);
        }
        else
        {
            // Which spans were kept is unknown: none is counted as acknowledged, and the mismatch shows in the outcomes.
            Count("partial success not matching local validation");
        }
    }

    /// <summary>Codes OTLP exporters retry (https://opentelemetry.io/docs/specs/otlp/#failures), plus a broken connection.</summary>
    private static bool IsRetryable(StatusCode code) => code is StatusCode.Unavailable or StatusCode.ResourceExhausted
        or StatusCode.DeadlineExceeded or StatusCode.Aborted or StatusCode.Cancelled or StatusCode.Internal or StatusCode.Unknown
        or StatusCode.OutOfRange or StatusCode.DataLoss;

    /// <summary>Without RetryInfo: 100 ms doubling to 1 s, with jitter.</summary>
    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(1_000, 100 * Math.Pow(2, Math.Min(attempt, 10))) * (0.5 + Random.Shared.NextDouble() / 2));

    private void Abandon(ExportTraceServiceRequest request)
    {
        Interlocked.Increment(ref _requestsAbandoned);
        Interlocked.Add(ref _spansAbandoned, request.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => (long)s.Spans.Count)));
    }

    private void Count(string outcome) => _outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);

    private void Succeeded(long started, long answered, ExportTraceServiceRequest request)
    {
        lock (_successWaiters)
        {
            foreach (var (mark, done) in _successWaiters)
            {
                if (started >= mark)
                {
                    done.TrySetResult((answered, request));
                }
            }
        }
    }
}
