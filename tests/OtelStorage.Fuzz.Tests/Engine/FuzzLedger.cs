using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using OtelStorage.Testing;

namespace OtelStorage.Fuzz.Tests.Engine;

/// <summary>Counts of one category: cases, answers by outcome, and the failures among them.</summary>
public sealed class CategoryStats(string name, string target, string what)
{
    private long _cases;
    private long _failures;
    private long _serverErrors;
    private long _crashes;
    private long _ticks;

    public string Name => name;

    public string Target => target;

    public string What => what;

    public long Cases => Interlocked.Read(ref _cases);

    public long Failures => Interlocked.Read(ref _failures);

    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    public long Crashes => Interlocked.Read(ref _crashes);

    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _ticks));

    public ConcurrentDictionary<string, long> Outcomes { get; } = new(StringComparer.Ordinal);

    public void Record(Verdict verdict)
    {
        Interlocked.Increment(ref _cases);
        Outcomes.AddOrUpdate(verdict.Outcome, 1, (_, n) => n + 1);
        if (verdict.Failed)
        {
            Interlocked.Increment(ref _failures);
        }

        if (verdict.ServerError)
        {
            Interlocked.Increment(ref _serverErrors);
        }
    }

    /// <summary>Each service's peak resident memory while this category ran (VmHWM, reset at its start).</summary>
    public ConcurrentDictionary<string, double> PeakMiB { get; } = new(StringComparer.Ordinal);

    public void ObservePeaks(IReadOnlyDictionary<string, ProcessMemory?> memory)
    {
        foreach (var (service, m) in memory)
        {
            if (m is { } value)
            {
                PeakMiB.AddOrUpdate(service, value.PeakMiB, (_, old) => Math.Max(old, value.PeakMiB));
            }
        }
    }

    public void RecordCrash() => Interlocked.Increment(ref _crashes);

    public void AddElapsed(TimeSpan elapsed) => Interlocked.Add(ref _ticks, elapsed.Ticks);

    public string Peaks() => string.Join(" / ", new[] { "Ingest.Api", "Batcher.Worker", "Compactor.Worker", "Query.Api" }.Select(service =>
        PeakMiB.TryGetValue(service, out var peak) ? peak.ToString("0", CultureInfo.InvariantCulture) : "-"));

    public string OutcomeSummary() =>
        string.Join(", ", Outcomes.OrderByDescending(o => o.Value).ThenBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}: {o.Value}"));
}

/// <summary>A failed case, with where its input was saved.</summary>
public sealed record FuzzFailure(string Category, int Index, string Description, string Problem, string InputFile);

/// <summary>
/// The run's record, shared by every test: category counts, failures (each input saved to a file with the seed
/// and index that replay it), memory figures, and the markdown summary written at the end.
/// </summary>
public sealed class FuzzLedger(FuzzSettings settings)
{
    private readonly ConcurrentDictionary<string, CategoryStats> _categories = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FuzzFailure> _failures = new();
    private readonly ConcurrentDictionary<string, double> _peakMiB = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _notes = new();
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    public FuzzSettings Settings => settings;

    public IEnumerable<CategoryStats> Categories => _categories.Values;

    public CategoryStats Category(string name, string target, string what) => _categories.GetOrAdd(name, _ => new CategoryStats(name, target, what));

    public IReadOnlyCollection<FuzzFailure> Failures => _failures;

    public void Note(string note) => _notes.Enqueue(note);

    public void ObserveMemory(IReadOnlyDictionary<string, ProcessMemory?> memory)
    {
        foreach (var (service, m) in memory)
        {
            if (m is { } value)
            {
                _peakMiB.AddOrUpdate(service, value.PeakMiB, (_, old) => Math.Max(old, value.PeakMiB));
            }
        }
    }

    /// <summary>Saves the failing input and its description; returns the failure.</summary>
    public FuzzFailure Fail(FuzzCase c, Observation o, string problem)
    {
        var folder = Path.Combine(settings.OutputDirectory, "failures");
        Directory.CreateDirectory(folder);
        var stem = Path.Combine(folder, $"{c.Category}-{c.Index.ToString(CultureInfo.InvariantCulture)}");
        File.WriteAllBytes(stem + ".bin", c.Body ?? []);
        var text = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"case:     {c.Category}:{c.Index}")
            .AppendLine(CultureInfo.InvariantCulture, $"seed:     {settings.Seed}")
            .AppendLine(CultureInfo.InvariantCulture, $"replay:   {FuzzSettings.SeedVariable}={settings.Seed} {FuzzSettings.CaseVariable}={c.Category}:{c.Index} dotnet test --project tests/OtelStorage.Fuzz.Tests")
            .AppendLine(CultureInfo.InvariantCulture, $"what:     {c.Description}")
            .AppendLine(CultureInfo.InvariantCulture, $"request:  {c.Target} {c.Method} {c.PathAndQuery}")
            .AppendLine(CultureInfo.InvariantCulture, $"headers:  {string.Join("; ", c.Headers.Select(h => $"{h.Key}: {Shorten(h.Value, 200)}"))}")
            .AppendLine(CultureInfo.InvariantCulture, $"body:     {c.Body?.Length ?? 0} bytes in {Path.GetFileName(stem)}.bin")
            .AppendLine(CultureInfo.InvariantCulture, $"answer:   HTTP {o.HttpStatus?.ToString(CultureInfo.InvariantCulture) ?? "-"} grpc-status {o.GrpcStatus?.ToString(CultureInfo.InvariantCulture) ?? "-"} {o.GrpcMessage} {o.Error}")
            .AppendLine(CultureInfo.InvariantCulture, $"problem:  {problem}")
            .AppendLine("body of the answer:")
            .AppendLine(Encoding.UTF8.GetString(o.Body.AsSpan(0, Math.Min(o.Body.Length, 4000))));
        File.WriteAllText(stem + ".txt", text.ToString());
        var failure = new FuzzFailure(c.Category, c.Index, c.Description, problem, stem + ".bin");
        _failures.Enqueue(failure);
        return failure;
    }

    /// <summary>Writes <c>summary.md</c> in the output folder and returns its path.</summary>
    public string WriteSummary(IReadOnlyDictionary<string, ProcessMemory?> memoryNow)
    {
        ObserveMemory(memoryNow);
        Directory.CreateDirectory(settings.OutputDirectory);
        var path = Path.Combine(settings.OutputDirectory, "summary.md");
        File.WriteAllText(path, Markdown());
        return path;
    }

    public string Markdown()
    {
        var categories = _categories.Values.OrderBy(c => c.Target, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal).ToList();
        var s = new StringBuilder();
        s.AppendLine("# Fuzz run summary").AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"- mode: **{settings.Mode}**, seed: **{settings.Seed}**{(settings.OnlyCategory is null ? string.Empty : settings.OnlyIndex is { } index ? $", replaying {settings.OnlyCategory}:{index} only" : $", {settings.OnlyCategory} only")}");
        s.AppendLine(CultureInfo.InvariantCulture, $"- started {_started:yyyy-MM-dd HH:mm:ss} UTC, wall time {(DateTimeOffset.UtcNow - _started).TotalSeconds:0} s (services' start included), machine: {Environment.ProcessorCount} cores");
        s.AppendLine(CultureInfo.InvariantCulture, $"- cases: **{categories.Sum(c => c.Cases)}**, failures: **{_failures.Count}**, 5xx or server-fault gRPC statuses: **{categories.Sum(c => c.ServerErrors)}**, crashes: **{categories.Sum(c => c.Crashes)}**");
        s.AppendLine(CultureInfo.InvariantCulture, $"- peak RSS (VmHWM): {string.Join(", ", _peakMiB.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value:0} MiB"))}");
        s.AppendLine();
        s.AppendLine("| target | category | cases | failures | 5xx | crashes | time (s) | peak RSS, Ingest / Batcher / Compactor / Query (MiB) | answers |");
        s.AppendLine("|---|---|---:|---:|---:|---:|---:|---|---|");
        foreach (var c in categories)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"| {c.Target} | {c.Name} | {c.Cases} | {c.Failures} | {c.ServerErrors} | {c.Crashes} | {c.Elapsed.TotalSeconds:0.0} | {c.Peaks()} | {c.OutcomeSummary()} |");
        }

        if (!_notes.IsEmpty)
        {
            s.AppendLine().AppendLine("## Notes").AppendLine();
            foreach (var note in _notes)
            {
                s.AppendLine("- " + note);
            }
        }

        if (!_failures.IsEmpty)
        {
            s.AppendLine().AppendLine("## Failures (first 50)").AppendLine();
            foreach (var f in _failures.Take(50))
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"- `{f.Category}:{f.Index}` {f.Description}: {Shorten(f.Problem, 300)} (input: `{f.InputFile}`)");
            }
        }

        return s.ToString();
    }

    private static string Shorten(string text, int length) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "…");
}
