using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Query.Api.Telemetry;

/// <summary>
/// Query.Api's own telemetry under <c>OtelStorage.Query</c> (ServiceDefaults exports every <c>OtelStorage.*</c>
/// source and meter): requests by operation, blocks inspected, object bytes read and lookup/search latency.
/// </summary>
public sealed class QueryTelemetry : IDisposable
{
    public const string Name = "OtelStorage.Query";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _blocksInspected;
    private readonly Counter<long> _bytesRead;
    private readonly Counter<long> _objectReads;
    private readonly Histogram<double> _lookupDuration;
    private readonly Histogram<double> _searchDuration;
    private readonly Counter<long> _searchTimeouts;

    public QueryTelemetry(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(Name);
        _requests = _meter.CreateCounter<long>("otelstorage.query.requests", "{request}", "Query requests by operation and outcome.");
        _blocksInspected = _meter.CreateCounter<long>("otelstorage.query.blocks_inspected", "{block}", "Blocks whose data object was read.");
        _bytesRead = _meter.CreateCounter<long>("otelstorage.query.bytes_read", "By", "Bytes read from the object store.");
        _objectReads = _meter.CreateCounter<long>("otelstorage.query.object_reads", "{read}", "GETs (whole or ranged) sent to the object store, by object kind.");
        _lookupDuration = _meter.CreateHistogram<double>("otelstorage.query.lookup.duration", "s", "Trace-by-ID lookup latency.");
        _searchDuration = _meter.CreateHistogram<double>("otelstorage.query.search.duration", "s", "Span and trace search latency.");
        _searchTimeouts = _meter.CreateCounter<long>("otelstorage.query.search.timeouts", "{search}", "Searches stopped by Query:SearchTimeout, answered with partial results.");
    }

    public void Request(string operation, string outcome) =>
        _requests.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", outcome));

    public void BlocksInspected(int count, string operation) =>
        _blocksInspected.Add(count, new KeyValuePair<string, object?>("operation", operation));

    public void ObjectRead(string objectKind, long bytes)
    {
        _objectReads.Add(1, new KeyValuePair<string, object?>("object", objectKind));
        _bytesRead.Add(bytes, new KeyValuePair<string, object?>("object", objectKind));
    }

    public void LookupDuration(TimeSpan elapsed, bool found) =>
        _lookupDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("found", found));

    public void SearchDuration(TimeSpan elapsed, string operation) =>
        _searchDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("operation", operation));

    public void SearchTimedOut(string operation) =>
        _searchTimeouts.Add(1, new KeyValuePair<string, object?>("operation", operation));

    public void Dispose() => _meter.Dispose();
}
