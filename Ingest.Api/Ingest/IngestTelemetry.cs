using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Ingest.Api.Ingest;

/// <summary>The ingest meter, for the dashboard: spans by fate and requests by protocol and outcome.</summary>
public sealed class IngestTelemetry : IDisposable
{
    public const string MeterName = "OtelStorage.Ingest";

    private readonly Meter _meter;
    private readonly Counter<long> _received;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _throttled;
    private readonly Counter<long> _unavailable;
    private readonly Counter<long> _requests;

    public IngestTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _received = _meter.CreateCounter<long>("otelstorage.ingest.spans.received", "{span}", "Spans received in decodable requests.");
        _accepted = _meter.CreateCounter<long>("otelstorage.ingest.spans.accepted", "{span}", "Spans confirmed by the broker and acknowledged to the client.");
        _rejected = _meter.CreateCounter<long>("otelstorage.ingest.spans.rejected", "{span}", "Invalid spans dropped and reported through partial_success.");
        _throttled = _meter.CreateCounter<long>("otelstorage.ingest.spans.throttled", "{span}", "Spans refused with RESOURCE_EXHAUSTED or 429 because the queue or in-flight memory was full.");
        _unavailable = _meter.CreateCounter<long>("otelstorage.ingest.spans.unavailable", "{span}", "Spans refused with UNAVAILABLE or 503 because the broker was down or did not confirm.");
        _requests = _meter.CreateCounter<long>("otelstorage.ingest.requests", "{request}", "Export requests by protocol and outcome.");
    }

    public void Received(IngestProtocol protocol, int spans) => _received.Add(spans, Protocol(protocol));

    public void Accepted(IngestProtocol protocol, int spans) => _accepted.Add(spans, Protocol(protocol));

    public void Rejected(IngestProtocol protocol, int spans) => _rejected.Add(spans, Protocol(protocol));

    public void Throttled(IngestProtocol protocol, int spans) => _throttled.Add(spans, Protocol(protocol));

    public void Unavailable(IngestProtocol protocol, int spans) => _unavailable.Add(spans, Protocol(protocol));

    /// <summary>One request and how it ended: success, partial_success, invalid, unauthenticated, too_large, throttled, unavailable.</summary>
    public void Request(IngestProtocol protocol, string outcome)
    {
        var tags = new TagList { { "protocol", protocol.ToTag() }, { "outcome", outcome } };
        _requests.Add(1, tags);
    }

    public void Dispose() => _meter.Dispose();

    private static KeyValuePair<string, object?> Protocol(IngestProtocol protocol) => new("protocol", protocol.ToTag());
}
