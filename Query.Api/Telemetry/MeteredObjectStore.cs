using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
namespace Query.Api.Telemetry;

/// <summary>What one request read from the object store: the numbers Tempo's search metrics and the benchmarks report.</summary>
public sealed class ReadStatistics
{
    private long _dataReads;
    private long _indexReads;
    private long _metaReads;
    private long _bytes;

    /// <summary>GETs of data objects (whole or ranged).</summary>
    public long DataReads => Interlocked.Read(ref _dataReads);

    public long IndexReads => Interlocked.Read(ref _indexReads);

    public long MetaReads => Interlocked.Read(ref _metaReads);

    public long Bytes => Interlocked.Read(ref _bytes);

    internal void Add(string kind, long bytes)
    {
        switch (kind)
        {
            case BlockKeys.DataName:
                Interlocked.Increment(ref _dataReads);
                break;
            case BlockKeys.IndexName:
                Interlocked.Increment(ref _indexReads);
                break;
            default:
                Interlocked.Increment(ref _metaReads);
                break;
        }

        Interlocked.Add(ref _bytes, bytes);
    }
}

/// <summary>
/// Counts reads for telemetry and for the current <see cref="ReadStatistics"/> scope (an async-local, so
/// concurrent requests count separately). Everything else passes through.
/// </summary>
public sealed class MeteredObjectStore(IObjectStore inner, QueryTelemetry telemetry) : IObjectStore
{
    private static readonly AsyncLocal<ReadStatistics?> Current = new();

    /// <summary>Counts the reads of the calling flow into a new <see cref="ReadStatistics"/> until the scope is disposed.</summary>
    public static Scope BeginScope()
    {
        var previous = Current.Value;
        var statistics = new ReadStatistics();
        Current.Value = statistics;
        return new Scope(statistics, previous);
    }

    public async Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken)
    {
        var bytes = await inner.ReadAsync(key, cancellationToken);
        Count(key, bytes?.Length ?? 0);
        return bytes;
    }

    public async Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken)
    {
        var bytes = await inner.ReadRangeAsync(key, offset, length, cancellationToken);
        Count(key, bytes.Length);
        return bytes;
    }

    public Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) => inner.WriteAsync(key, content, cancellationToken);

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, CancellationToken cancellationToken) => inner.ListAsync(prefix, startAfter, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    public Task CheckAsync(CancellationToken cancellationToken) => inner.CheckAsync(cancellationToken);

    private void Count(string key, long bytes)
    {
        var slash = key.LastIndexOf('/');
        var kind = slash >= 0 ? key[(slash + 1)..] : key;
        telemetry.ObjectRead(kind, bytes);
        Current.Value?.Add(kind, bytes);
    }

    public readonly struct Scope(ReadStatistics statistics, ReadStatistics? previous) : IDisposable
    {
        public ReadStatistics Statistics => statistics;

        public void Dispose() => Current.Value = previous;
    }
}
