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
        var input = requests.SelectMany(r => r.ResourceSpans)
            .SelectMany(rs => rs.ScopeSpans.SelectMany(ss => ss.Spans.Select(s => (Service: rs.Resource.Attributes[0].Value.StringValue, Span: s))))
            .ToList();
        var perService = input.GroupBy(s => s.Service).ToDictionary(g => g.Key, g => (long)g.Count());
        var traceIds = input.Select(s => Convert.ToHexString(s.Span.TraceId.Span)).Distinct().Order(StringComparer.Ordinal).ToList();
        var cartServerSpans = input.Count(s => s.Service == "cart" && s.Span.Kind == OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Server);
        var meta = await TestData.WriteBlockAsync(_store, "t1", requests, new BlockBuildOptions { RowGroupSpans = 5_000 });
        var path = Path.Combine(_folder, "blocks", "t1", meta.BlockId, "data.parquet");

        using var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        var totals = await QueryAsync(connection, $"SELECT count(*), count(DISTINCT trace_id), sum(CASE WHEN service_name = 'cart' AND kind = 2 THEN 1 ELSE 0 END), min(start_time_unix_nano) FROM read_parquet('{path}')");
        var services = await QueryAsync(connection, $"SELECT service_name, count(*) FROM read_parquet('{path}') GROUP BY service_name");
        var traces = await QueryAsync(connection, $"SELECT DISTINCT hex(trace_id) FROM read_parquet('{path}')");

        Assert.Single(totals);
        Assert.Equal(input.Count, Number(totals[0][0]));
        Assert.Equal(meta.SpanCount, Number(totals[0][0]));
        Assert.Equal(traceIds.Count, Number(totals[0][1]));
        Assert.Equal(cartServerSpans, Number(totals[0][2]));
        Assert.Equal((long)input.Min(s => s.Span.StartTimeUnixNano), Number(totals[0][3]));
        Assert.Equal(perService, services.ToDictionary(row => (string)row[0], row => Number(row[1])));
        Assert.Equal(traceIds, traces.Select(row => (string)row[0]).Order(StringComparer.Ordinal));
    }

    private static async Task<List<object[]>> QueryAsync(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // The queries are this test's own; the only interpolated value is its temporary file path.
        command.CommandText = sql;
#pragma warning restore CA2100
        using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        var rows = new List<object[]>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }

        return rows;
    }

    // DuckDB returns BIGINT, HUGEINT (BigInteger) or unsigned types depending on the aggregate.
    private static long Number(object value) => long.Parse(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!, System.Globalization.CultureInfo.InvariantCulture);
}
