using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.TraceQL;
using Xunit;

namespace Query.Api.Tests.Differential;

/// <summary>
/// The differential test of TraceQL search: generated queries run through <c>/api/search</c> over a generated store of
/// several blocks, and through <see cref="NaiveTraceSearch"/> over the same spans in memory. Both must return the same
/// traces in the same order, with the same matched spans. The store lives on the filesystem backend, so that the
/// queries measure the search rather than an S3 emulator. OTELSTORAGE_DIFFERENTIAL_SEED picks another seed and
/// OTELSTORAGE_DIFFERENTIAL_QUERIES another count; a failure prints the seed and the query's number to replay it.
/// </summary>
[Collection(nameof(DifferentialSearchTests))]
public sealed class DifferentialSearchTests(QueryApiFixture fixture) : IDisposable
{
    private static readonly int[] Limits = [1, 2, 3, 5, 10, 20, 20, 50];

    private readonly string _root = Path.Combine(Path.GetTempPath(), "otelstorage-differential-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task PushedDownSearchReturnsWhatTheNaiveEvaluatorReturnsForGeneratedQueries()
    {
        var seed = Setting("OTELSTORAGE_DIFFERENTIAL_SEED", 23);
        var count = Setting("OTELSTORAGE_DIFFERENTIAL_QUERIES", 10_000);
        var output = TestContext.Current.TestOutputHelper!;
        var tenant = QueryApiFixture.NewTenant();
        var baseSecond = DateTimeOffset.UtcNow.AddMinutes(-40).ToUnixTimeSeconds();
        var store = GeneratedStore.Create(seed, traces: 240, blocks: 8, (ulong)baseSecond * GeneratedStore.Second);
        var options = Microsoft.Extensions.Options.Options.Create(new ObjectStoreOptions { Kind = "filesystem", Path = _root });
        var writer = new BlockStore(new FileSystemObjectStore(options), options);
        foreach (var requests in store.Blocks())
        {
            var builder = BlockEncodings.Current.CreateBuilder(tenant, new BlockBuildOptions { RowGroupSpans = 16 });
            foreach (var request in requests)
            {
                builder.Add(request);
            }

            var now = DateTimeOffset.UtcNow;
            await writer.WriteAsync(await builder.BuildAsync(BlockId.New(now), now, CancellationToken.None), CancellationToken.None);
        }

        var oracle = new NaiveTraceSearch(store.Spans);
        var generator = new QueryGenerator([.. oracle.AllSpans]);
        await using var factory = fixture.CreateFactory(new Dictionary<string, string?>
        {
            ["Storage:Kind"] = "filesystem",
            ["Storage:Path"] = _root,
            // Traces are read in chunks of this many; a small chunk reads fewer traces past a small limit.
            ["Query:MaxConcurrentBlockReads"] = "4",
        });
        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Scope-OrgID", tenant);

        var failures = new ConcurrentQueue<string>();
        int none = 0, some = 0, more = 0, invalid = 0;
        long naiveTicks = 0, inspected = 0;
        var stopwatch = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = TestContext.Current.CancellationToken }, async (i, ct) =>
        {
            var text = generator.Generate(seed, i);
            var random = new Random(unchecked((seed * 1_000_033) + i) ^ 0x5bd1e995);
            var limit = random.Next(25) == 0 ? 1000 : Limits[random.Next(Limits.Length)];
            var (start, end) = random.Next(10) < 7
                ? (baseSecond - 5, baseSecond + 1800)
                : Narrow(random, store.WholeSeconds);
            var url = $"/api/search?q={Uri.EscapeDataString(text)}&limit={limit}&start={start}&end={end}&spss=100000";
            using var response = await client.GetAsync(url, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            TraceQLQuery query;
            try
            {
                query = TraceQLQuery.Parse(text);
            }
            catch (TraceQLParseException e)
            {
                Interlocked.Increment(ref invalid);
                if (response.StatusCode != HttpStatusCode.BadRequest)
                {
                    failures.Enqueue($"seed {seed}, query {i}: {text}\n  the library refuses it ({e.Message}) but /api/search answered {(int)response.StatusCode}: {body}");
                }

                return;
            }

            var naiveStarted = Stopwatch.GetTimestamp();
            var all = oracle.Search(query, (ulong)start * GeneratedStore.Second, (ulong)end * GeneratedStore.Second, int.MaxValue);
            Interlocked.Add(ref naiveTicks, Stopwatch.GetElapsedTime(naiveStarted).Ticks);
            if (all.Count == 0)
            {
                Interlocked.Increment(ref none);
            }
            else if (all.Count <= limit)
            {
                Interlocked.Increment(ref some);
            }
            else
            {
                Interlocked.Increment(ref more);
            }

            var expected = all.Take(limit).Select(m => m.TraceId + " " + string.Join(" ", m.Spansets.Select(set =>
                $"[{set.Spans.Count}: {string.Join(",", set.Spans.Select(s => Convert.ToHexStringLower(s.Span.SpanId)))}]"))).ToList();
            var actual = response.StatusCode == HttpStatusCode.OK ? Traces(body) : [$"HTTP {(int)response.StatusCode}: {body}"];
            if (response.StatusCode == HttpStatusCode.OK)
            {
                using var metrics = JsonDocument.Parse(body);
                Interlocked.Add(ref inspected, metrics.RootElement.GetProperty("metrics").GetProperty("inspectedTraces").GetInt64());
            }

            if (!expected.SequenceEqual(actual))
            {
                failures.Enqueue($"seed {seed}, query {i}, limit {limit}, start {start}, end {end}: {text}\n  naive:       {Lines(expected)}\n  /api/search: {Lines(actual)}");
            }
        });

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seed {seed}: {count} queries in {stopwatch.Elapsed.TotalSeconds:F1} s ({(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F1} s CPU, {TimeSpan.FromTicks(naiveTicks).TotalSeconds:F1} s in the naive search, {inspected} traces read by /api/search) over {store.Spans.Count} spans in {store.BlockCount} blocks; matching no trace {none}, 1 to limit {some}, more than limit {more}; refused by the parser {invalid}"));
        Assert.True(failures.IsEmpty, $"{failures.Count} of {count} queries disagree; the first ones:\n{string.Join("\n", failures.Take(8))}");
        Assert.True(invalid <= Math.Max(1, count / 20), $"{invalid} of {count} generated queries were refused by the parser: the generator should write valid TraceQL");
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    // A window cut at a second where a trace starts exactly, or one nanosecond before it.
    private static (long Start, long End) Narrow(Random random, IReadOnlyList<long> seconds)
    {
        var a = seconds[random.Next(seconds.Count)];
        var b = seconds[random.Next(seconds.Count)];
        return (Math.Min(a, b), Math.Max(a, b));
    }

    private static List<string> Traces(string body)
    {
        using var json = JsonDocument.Parse(body);
        return [.. json.RootElement.GetProperty("traces").EnumerateArray().Select(t => t.GetProperty("traceID").GetString() + " " + string.Join(" ",
            t.GetProperty("spanSets").EnumerateArray().Select(set =>
                $"[{set.GetProperty("matched").GetInt32()}: {string.Join(",", set.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("spanID").GetString()))}]")))];
    }

    private static string Lines(List<string> traces) =>
        traces.Count == 0 ? "(none)" : new StringBuilder().AppendJoin("\n               ", traces).ToString();

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}

/// <summary>
/// The differential run keeps both cores busy for minutes; alone, it does not slow the tests that measure time to
/// visibility or timeouts.
/// </summary>
[CollectionDefinition(nameof(DifferentialSearchTests), DisableParallelization = true)]
public sealed class DifferentialSearchCollection;
