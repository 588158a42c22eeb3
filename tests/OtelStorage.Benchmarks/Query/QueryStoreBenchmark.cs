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
/// Query.Api end to end over a large store: s3rver on loopback (or a folder, with <c>--store-dir</c>), a store of N
/// blocks written by the real v1 writer (realistic traffic spread over the 24 hours before the build), and Query.Api
/// itself (Kestrel on a free port) answering HTTP requests. Measures trace-by-ID latency and data-object reads per
/// lookup, searches over the last hour and over the whole store, the TraceQL searches and tag values, and the
/// process's peak RSS while measuring.
/// Run: dotnet run -c Release --project tests/OtelStorage.Benchmarks -- query-store [--blocks 1000] [--spans-per-block 1000] [--lookups 1000] [--bloom-fpr 0.00005] [--row-group-spans 10000] [--store-dir DIR [--reuse]] (defaults: the writer's)
/// With <c>--store-dir</c> the store is built on the filesystem backend in DIR; <c>--reuse</c> measures the store an
/// earlier run built there (its build time and sampled trace IDs are kept in DIR/query-store-benchmark.txt), so a large
/// store is built once and measured many times.
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
        var storeDir = ArgText(args, "--store-dir", "");
        var build = new BlockBuildOptions { BloomFalsePositiveRate = fpr, RowGroupSpans = rowGroupSpans };
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");

        if (storeDir.Length > 0)
        {
            var folder = Path.GetFullPath(storeDir);
            var store = new Dictionary<string, string?> { ["Storage:Kind"] = "filesystem", ["Storage:Path"] = folder };
            var manifest = Path.Combine(folder, "query-store-benchmark.txt");
            DateTimeOffset now;
            List<byte[]> traceIds;
            if (args.Contains("--reuse") && File.Exists(manifest))
            {
                var lines = await File.ReadAllLinesAsync(manifest);
                now = DateTimeOffset.Parse(lines[0], CultureInfo.InvariantCulture);
                blocks = int.Parse(lines[1], CultureInfo.InvariantCulture);
                traceIds = [.. lines.Skip(2).Select(Convert.FromHexString)];
                Console.WriteLine($"store: reusing {blocks} blocks in {folder}, built {now:O}, {DirectoryBytes(folder) / 1024.0 / 1024.0:F0} MiB on disk");
            }
            else
            {
                now = DateTimeOffset.UtcNow;
                traceIds = await WriteStoreAsync(store, blocks, spansPerBlock, build, now);
                await File.WriteAllLinesAsync(manifest, [now.ToString("O", CultureInfo.InvariantCulture), blocks.ToString(CultureInfo.InvariantCulture), .. traceIds.Select(Convert.ToHexStringLower)]);
                Console.WriteLine($"store: {DirectoryBytes(folder) / 1024.0 / 1024.0:F0} MiB on disk in {folder}");
            }

            await MeasureAsync(store, traceIds, lookups, blocks, fpr, now);
            return;
        }

        var s3 = new S3rverServer();
        await s3.InitializeAsync();
        try
        {
            var store = new Dictionary<string, string?> { ["ConnectionStrings:objectstore"] = s3.ConnectionString };
            var now = DateTimeOffset.UtcNow;
            var traceIds = await WriteStoreAsync(store, blocks, spansPerBlock, build, now);
            await MeasureAsync(store, traceIds, lookups, blocks, fpr, now);
        }
        finally
        {
            await s3.DisposeAsync();
        }
    }

    private static long DirectoryBytes(string folder) =>
        new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    /// <summary>The object store that <paramref name="store"/> (Query.Api configuration keys) names.</summary>
    private static (IObjectStore Objects, IOptions<ObjectStoreOptions> Options) OpenStore(Dictionary<string, string?> store)
    {
        var options = Options.Create(new ObjectStoreOptions());
        options.Value.Kind = store.GetValueOrDefault("Storage:Kind") ?? "s3";
        options.Value.Path = store.GetValueOrDefault("Storage:Path") ?? options.Value.Path;
        options.Value.ApplyConnectionString(store.GetValueOrDefault("ConnectionStrings:objectstore"));
        return (options.Value.Kind == "filesystem" ? new FileSystemObjectStore(options) : new S3ObjectStore(options), options);
    }

    private static async Task<List<byte[]>> WriteStoreAsync(Dictionary<string, string?> storeConfig, int blocks, int spansPerBlock, BlockBuildOptions build, DateTimeOffset now)
    {
        var (objects, options) = OpenStore(storeConfig);
        var store = new BlockStore(objects, options);
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

    private static async Task MeasureAsync(Dictionary<string, string?> store, List<byte[]> traceIds, int lookups, int blocks, double fpr, DateTimeOffset now)
    {
        await MeasureColdStartWithTheTenantIndexAsync(store, now);
        // The peak RSS reported at the end is that of the measurements, not of building the store.
        ResetPeakRss();
        var port = FreePort.Next();
        await using var app = await StartQueryApiAsync(store, port);
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

        // The TraceQL targets, through Tempo's API (start and end in unix seconds). The realistic workload
        // answers every HTTP request with 200, so the status-code search matches nothing in the hour.
        var (hourS, dayS, nowS) = (now.AddHours(-1).ToUnixTimeSeconds(), now.AddHours(-25).ToUnixTimeSeconds(), now.ToUnixTimeSeconds() + 1);
        await TimeAsync(http, reads, "TraceQL { span.http.route = \"/nope\" }, whole store", Search("{ span.http.route = \"/nope\" }", dayS, nowS), repeat: 5);
        await TimeAsync(http, reads, "TraceQL { resource.service.name = \"frontend\" && span.http.response.status_code >= 500 }, last hour, limit 20",
            Search("{ resource.service.name = \"frontend\" && span.http.response.status_code >= 500 }", hourS, nowS));
        await TimeAsync(http, reads, "TraceQL { resource.service.name = \"frontend\" && span.http.request.method = \"GET\" }, last hour, limit 20",
            Search("{ resource.service.name = \"frontend\" && span.http.request.method = \"GET\" }", hourS, nowS));
        await TimeAsync(http, reads, "TraceQL { name = \"GET /api/cart\" } >> { status = error }, whole store, limit 20", Search("{ name = \"GET /api/cart\" } >> { status = error }", dayS, nowS), repeat: 5);
        await TimeAsync(http, reads, "tag values span.http.route, last hour (/api/v2/search/tag/.../values)",
            $"/api/v2/search/tag/span.http.route/values?start={hourS}&end={nowS}");
        Console.WriteLine($"peak RSS while measuring: {PeakRssBytes() / 1024.0 / 1024.0:F0} MiB");
        await app.StopAsync();
    }

    private static string Search(string traceQl, long start, long end) =>
        FormattableString.Invariant($"/api/search?q={Uri.EscapeDataString(traceQl)}&limit=20&start={start}&end={end}");

    // Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM) to the current one.
    private static void ResetPeakRss()
    {
        if (File.Exists("/proc/self/clear_refs"))
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
    }

    private static long PeakRssBytes() =>
        File.Exists("/proc/self/status")
            ? File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
                .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024).FirstOrDefault()
            : Environment.WorkingSet;

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

        Console.WriteLine($"{name}: p50 {P(latencies, 0.5):F1} ms, p99 {P(latencies, 0.99):F1} ms, max {latencies.Max():F1} ms, data reads {dataReads / (double)repeat:F1}, "
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
    private static async Task MeasureColdStartWithTheTenantIndexAsync(Dictionary<string, string?> storeConfig, DateTimeOffset now)
    {
        var (objects, options) = OpenStore(storeConfig);
        using var disposable = objects as IDisposable;
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
        await using (var app = await StartQueryApiAsync(storeConfig, port))
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

    private static async Task<WebApplication> StartQueryApiAsync(Dictionary<string, string?> store, int port)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(store);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
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
