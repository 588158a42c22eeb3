using DuckDB.NET.Data;
using OtelStorage.Storage.Blocks;
using OtelStorage.Workload;
using Xunit;

namespace OtelStorage.Storage.Tests;

public sealed class ExternalEngineTests : IDisposable
{
    private readonly BlockStore _store;
    private readonly string _folder;

    public ExternalEngineTests() => _store = TestData.FileStore(out _folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task DuckDbReadsDataParquetAndCountsTheRightRows()
    {
        var requests = new RealisticSpanGenerator(seed: 21).Requests(12_000, 1000).ToList();
        var cartServerSpans = requests.SelectMany(r => r.ResourceSpans)
            .Where(rs => rs.Resource.Attributes[0].Value.StringValue == "cart")
            .Sum(rs => rs.ScopeSpans.Sum(ss => ss.Spans.Count(s => s.Kind == OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Server)));
        var meta = await TestData.WriteBlockAsync(_store, "t1", requests, new BlockBuildOptions { RowGroupSpans = 5_000 });
        var path = Path.Combine(_folder, "blocks", "t1", meta.BlockId, "data.parquet");

        using var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The only interpolated value is the test's own temporary file path.
        command.CommandText = $"SELECT count(*), count(DISTINCT trace_id), sum(CASE WHEN service_name = 'cart' AND kind = 2 THEN 1 ELSE 0 END), min(start_time_unix_nano) FROM read_parquet('{path}')";
#pragma warning restore CA2100
        using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        Assert.True(await reader.ReadAsync(TestContext.Current.CancellationToken));

        Assert.Equal(meta.SpanCount, Number(reader.GetValue(0)));
        Assert.Equal(meta.TraceCount, Number(reader.GetValue(1)));
        Assert.Equal(cartServerSpans, Number(reader.GetValue(2)));
        Assert.Equal((long)meta.MinStartTimeUnixNano, Number(reader.GetValue(3)));
    }

    // DuckDB returns BIGINT, HUGEINT (BigInteger) or unsigned types depending on the aggregate.
    private static long Number(object value) => long.Parse(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!, System.Globalization.CultureInfo.InvariantCulture);
}
