using System.Collections.Concurrent;

namespace OtelStorage.LoadGen.Running;

/// <summary>Counters of a run, updated by every worker.</summary>
public sealed class LoadStatistics
{
    private long _spansSent;
    private long _spansAcknowledged;
    private long _spansRejected;
    private long _requests;
    private long _failedRequests;

    public long SpansSent => Interlocked.Read(ref _spansSent);

    public long SpansAcknowledged => Interlocked.Read(ref _spansAcknowledged);

    public long SpansRejected => Interlocked.Read(ref _spansRejected);

    public long Requests => Interlocked.Read(ref _requests);

    public long FailedRequests => Interlocked.Read(ref _failedRequests);

    public ConcurrentDictionary<string, long> ErrorsByKind { get; } = new();

    public LatencyRecorder Latency { get; } = new();

    public void RecordSuccess(int spans, long rejected, TimeSpan latency)
    {
        Interlocked.Add(ref _spansSent, spans);
        Interlocked.Add(ref _spansAcknowledged, spans - rejected);
        Interlocked.Add(ref _spansRejected, rejected);
        Interlocked.Increment(ref _requests);
        Latency.Record(latency);
        if (rejected > 0)
        {
            ErrorsByKind.AddOrUpdate("partial success", 1, (_, n) => n + 1);
        }
    }

    public void RecordFailure(int spans, string kind, TimeSpan latency)
    {
        Interlocked.Add(ref _spansSent, spans);
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _failedRequests);
        Latency.Record(latency);
        ErrorsByKind.AddOrUpdate(kind, 1, (_, n) => n + 1);
    }
}
