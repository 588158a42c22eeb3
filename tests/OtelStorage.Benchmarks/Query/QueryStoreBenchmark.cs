using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocklist;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Testing;
using OtelStorage.Workload;
using Query.Api.Apis;
using Query.Api.Extensions;
using Query.Api.Tenancy;

namespace OtelStorage.Benchmarks.Query;

/// <summary>
/// Query.Api end to end over a large store: s3rver on loopback, a store of N blocks written by the real v1 writer
/// (realistic traffic spread over the last 24 hours), and Query.Api itself (Kestrel on a free port) answering
/// HTTP requests. Measures trace-by-ID latency and data-object reads per lookup, a one-service search over the
/// last hour, and searches that match nothing over the whole store.
/// Run: dotnet run -c Release --project tests/OtelStorage.Benchmarks -- query-store [--blocks 1000] [--spans-per-block 1000] [--lookups 1000] [--bloom-fpr 0.00005] [--row-group-spans 10000] (defaults: the writer's)
/// </summary>
public static class QueryStoreBenchmark
{
    private const string Tenant = "bench";

    public static async Task RunAsync(string[] args)
    {
        var blocks = Arg(args, "--blocks", 1000);
        var spansPerBlock = Arg(args, "--spans-per-block", 1000);
        var lookups = Arg(args, "--lookups", 1000);
        var rowGroupSpans = Arg(args, "--row-group-spans", new BlockBuildOptions().RowGroupSpans);
        var fpr = double.Parse(ArgText(args, "--bloom-fpr", new BlockBuildOptions().BloomFalsePositiveRate.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");

        var s3 = new S3rverServer();
        await s3.InitializeAsync();
        try
        {
            var now = DateTimeOffset.UtcNow;
            var traceIds = await WriteStoreAsync(s3, blocks, spansPerBlock, new BlockBuildOptions { BloomFalsePositiveRate = fpr, RowGroupSpans = rowGroupSpans }, now);
            await MeasureAsync(s3, traceIds, lookups, blocks, spansPerBlock, fpr, now);
        }
        finally
        {
            await s3.DisposeAsync();
        }
    }

    private static async Task<List<byte[]>> WriteStoreAsync(S3rverServer s3, int blocks, int spansPerBlock, BlockBuildOptions build, DateTimeOffset now)
    {
        var options = Options.Create(new ObjectStoreOptions());
        options.Value.ApplyConnectionString(s3.ConnectionString);
        var store = new BlockStore(new S3ObjectStore(options), options);
        var sampled = new List<byte[]>();
        var stopwatch = Stopwatch.StartNew();
        long spans = 0;
        long dataBytes = 0;
        var slot = TimeSpan.FromHours(24) / blocks;
        await Parallel.ForEachAsync(Enumerable.Range(0, blocks), new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (i, ct) =>
        {
            var start = now.AddHours(-24) + slot * i;
            var generator = new RealisticSpanGenerator(seed: 1000 + i, start: start);
            var builder = BlockEncodings.Current.CreateBuilder(Tenant, build);
            var requests = generator.Requests(spansPerBlock, 500).ToList();
            var traces = requests.SelectMany(r => r.ResourceSpans).SelectMany(rs => rs.ScopeSpans).SelectMany(ss => ss.Spans)
                .Select(s => s.TraceId.ToByteArray()).DistinctBy(Convert.ToHexString).ToList();
            foreach (var r in requests)
            {
                builder.Add(r);
            }

            var block = await builder.BuildAsync(BlockId.New(start), start, ct);
            await store.WriteAsync(block, ct);
            lock (sampled)
            {
                sampled.Add(traces[traces.Count / 2]);
                sampled.Add(traces[^1]);
                spans += block.Meta.SpanCount;
                dataBytes += block.Meta.DataSizeBytes;
            }
        });

        Console.WriteLine($"store: {blocks} blocks, {spans} spans, bloom FPR {build.BloomFalsePositiveRate}, {build.RowGroupSpans} spans per row group, "
                          + $"{dataBytes / (double)spans:F1} data bytes per span, written in {stopwatch.Elapsed.TotalSeconds:F1} s");
        return sampled;
    }

    private static async Task MeasureAsync(S3rverServer s3, List<byte[]> traceIds, int lookups, int blocks, int spansPerBlock, double fpr, DateTimeOffset now)
    {
        await MeasureColdStartWithTheTenantIndexAsync(s3, now);
        var port = FreePort.Next();
        await using var app = await StartQueryApiAsync(s3, port);
        using var reads = new ReadCounter();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Add("X-Scope-OrgID", Tenant);

        // Cold start: the first request lists the tenant and reads every meta.json; indexes are then prefetched.
        var cold = Stopwatch.StartNew();
        (await http.GetAsync(new Uri("/services", UriKind.Relative))).EnsureSuccessStatusCode();
        Console.WriteLine($"cold block list load without a tenant index: {cold.Elapsed.TotalMilliseconds:F0} ms");
        var indexes = app.Services.GetRequiredService<IndexCache>();
        var set = await app.Services.GetRequiredService<BlockCatalog>().GetAsync(Tenant, CancellationToken.None);
        foreach (var meta in set.NewestFirst)
        {
            await indexes.GetAsync(meta, CancellationToken.None);
        }

        Console.WriteLine($"index cache warm: {indexes.Bytes / 1024.0 / 1024.0:F1} MiB for {set.NewestFirst.Count} blocks, {cold.Elapsed.TotalMilliseconds:F0} ms after start");

        var random = new Random(7);
        var latencies = new List<double>();
        long dataReads = 0;
        var notFound = 0;
        for (var i = 0; i < lookups + 50; i++)
        {
            var id = Convert.ToHexStringLower(traceIds[random.Next(traceIds.Count)]);
            var before = reads.DataReads;
            var sw = Stopwatch.StartNew();
            using var response = await http.GetAsync(new Uri("/traces/" + id, UriKind.Relative));
            await response.Content.ReadAsByteArrayAsync();
            sw.Stop();
            if (i < 50)
            {
                continue; // Warm-up: JIT and connection pool.
            }

            notFound += response.IsSuccessStatusCode ? 0 : 1;
            latencies.Add(sw.Elapsed.TotalMilliseconds);
            dataReads += reads.DataReads - before;
        }

        Console.WriteLine($"trace by ID over HTTP ({lookups} lookups, OTLP JSON): p50 {P(latencies, 0.5):F1} ms, p99 {P(latencies, 0.99):F1} ms, mean {latencies.Average():F1} ms, "
                          + $"data-object reads per lookup {dataReads / (double)lookups:F3} (expected false positives {fpr * blocks:F2}), not found {notFound}");

        var nowText = Uri.EscapeDataString(now.ToString("O"));
        var hourAgo = Uri.EscapeDataString(now.AddHours(-1).ToString("O"));
        var dayAgo = Uri.EscapeDataString(now.AddHours(-25).ToString("O"));
        await TimeAsync(http, reads, "search one service, last hour, limit 20 (/spans)", $"/spans?service=frontend&limit=20&start={hourAgo}&end={nowText}");
        await TimeAsync(http, reads, "search one service + operation, last hour (/spans)", $"/spans?service=cart&operation=POST%20%2Fcart%2Fadd&limit=20&start={hourAgo}&end={nowText}");
        await TimeAsync(http, reads, "Jaeger trace search, one service, last hour, 20 traces (/api/traces)",
            $"/api/traces?service=frontend&limit=20&start={(now.AddHours(-1).ToUnixTimeMilliseconds() * 1000).ToString(CultureInfo.InvariantCulture)}&end={(now.ToUnixTimeMilliseconds() * 1000).ToString(CultureInfo.InvariantCulture)}");
        await TimeAsync(http, reads, "no match, unknown service, whole store", $"/spans?service=no-such-service&start={dayAgo}&end={nowText}");
        await TimeAsync(http, reads, "no match, minDuration 1h, whole store (statistics prune)", $"/spans?service=frontend&minDuration=1h&start={dayAgo}&end={nowText}");
        await TimeAsync(http, reads, "no match, unknown tag value, whole store (every block scanned)", $"/spans?tag=http.route:/no-such-route&start={dayAgo}&end={nowText}", repeat: 3);
        await app.StopAsync();
        _ = spansPerBlock;
    }

    private static async Task TimeAsync(HttpClient http, ReadCounter reads, string name, string url, int repeat = 20)
    {
        var latencies = new List<double>();
        long dataReads = 0;
        long bytes = 0;
        var count = 0;
        for (var i = 0; i < repeat + 1; i++)
        {
            var before = (reads.DataReads, reads.Bytes);
            var sw = Stopwatch.StartNew();
            using var response = await http.GetAsync(new Uri(url, UriKind.Relative));
            var body = await response.Content.ReadAsStringAsync();
            sw.Stop();
            response.EnsureSuccessStatusCode();
            if (i == 0)
            {
                count = body.Split("\"spanId\"").Length - 1 + body.Split("\"traceID\"").Length - 1;
                continue; // Warm-up.
            }

            latencies.Add(sw.Elapsed.TotalMilliseconds);
            dataReads += reads.DataReads - before.DataReads;
            bytes += reads.Bytes - before.Bytes;
        }

        Console.WriteLine($"{name}: p50 {P(latencies, 0.5):F1} ms, max {latencies.Max():F1} ms, data reads {dataReads / (double)repeat:F1}, "
                          + $"{bytes / (double)repeat / 1024 / 1024:F2} MiB read per request, result ids in body {count}");
    }

    private static double P(List<double> values, double q)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>
    /// The cold start of a Query.Api whose tenant has the tenant index compaction's plan writes: written here as a plan
    /// would, timed on a Query.Api of its own, then deleted so the measurements after it start without one.
    /// </summary>
    private static async Task MeasureColdStartWithTheTenantIndexAsync(S3rverServer s3, DateTimeOffset now)
    {
        var options = Options.Create(new ObjectStoreOptions());
        options.Value.ApplyConnectionString(s3.ConnectionString);
        using var objects = new S3ObjectStore(options);
        var store = new BlockStore(objects, options);
        var plan = Stopwatch.StartNew();
        var metas = await store.ReadAllMetasAsync(Tenant, 16, CancellationToken.None);
        Console.WriteLine($"all meta.json read by a plan without a tenant index: {plan.Elapsed.TotalMilliseconds:F0} ms for {metas.Count} blocks");
        await store.WriteTenantIndexAsync(Tenant, metas, now, CancellationToken.None);
        var indexBytes = (await objects.ReadAsync(store.Keys.TenantIndex(Tenant), CancellationToken.None))!.Length;
        var parts = Stopwatch.StartNew();
        var listed = await store.ListBlockIdsAsync(Tenant, null, CancellationToken.None).CountAsync();
        var listing = parts.Elapsed;
        parts.Restart();
        var indexed = (await store.ReadTenantIndexAsync(Tenant, CancellationToken.None))!.Blocks.Count;
        Console.WriteLine($"its parts: listing {listed} blocks {listing.TotalMilliseconds:F0} ms, reading and parsing the index of {indexed} blocks {parts.Elapsed.TotalMilliseconds:F0} ms");

        var port = FreePort.Next();
        await using (var app = await StartQueryApiAsync(s3, port))
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Add("X-Scope-OrgID", Tenant);
            var cold = Stopwatch.StartNew();
            (await http.GetAsync(new Uri("/services", UriKind.Relative))).EnsureSuccessStatusCode();
            Console.WriteLine($"cold block list load with a tenant index ({indexBytes / 1024.0:F0} KiB gzipped): {cold.Elapsed.TotalMilliseconds:F0} ms");
            await app.StopAsync();
        }

        await store.DeleteTenantIndexAsync(Tenant, CancellationToken.None);
    }

    private static async Task<WebApplication> StartQueryApiAsync(S3rverServer s3, int port)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:objectstore"] = s3.ConnectionString,
            ["Query:Port"] = port.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddServiceDefaults();
        builder.AddApplicationServices();
        var app = builder.Build();
        app.UseMiddleware<TenantMiddleware>();
        app.MapTracesApi();
        app.MapSpansApi();
        app.MapServicesApi();
        app.MapJaegerApi();
        app.MapTempoApi();
        await app.StartAsync();
        return app;
    }

    private static int Arg(string[] args, string name, int fallback) =>
        int.Parse(ArgText(args, name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    private static string ArgText(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    /// <summary>Counts Query.Api's object reads through its own telemetry (otelstorage.query.object_reads / bytes_read).</summary>
    private sealed class ReadCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _dataReads;
        private long _bytes;

        public ReadCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "OtelStorage.Query" && instrument.Name is "otelstorage.query.object_reads" or "otelstorage.query.bytes_read")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                if (instrument.Name == "otelstorage.query.bytes_read")
                {
                    Interlocked.Add(ref _bytes, value);
                    return;
                }

                foreach (var tag in tags)
                {
                    if (tag.Key == "object" && (string?)tag.Value == BlockKeys.DataName)
                    {
                        Interlocked.Add(ref _dataReads, value);
                    }
                }
            });
            _listener.Start();
        }

        public long DataReads => Interlocked.Read(ref _dataReads);

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Dispose() => _listener.Dispose();
    }
}
