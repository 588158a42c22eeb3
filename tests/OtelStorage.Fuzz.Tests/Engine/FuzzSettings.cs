using System.Globalization;
using OtelStorage.Testing;

namespace OtelStorage.Fuzz.Tests.Engine;

/// <summary>
/// How big a run is and how it is seeded, from environment variables so that <c>make test</c> (reduced) and
/// <c>make fuzz</c> (full) run the same code:
/// <list type="bullet">
/// <item><c>OTELSTORAGE_FUZZ=full</c>: the full run (at least 100k cases); anything else, or unset, is the reduced run.</item>
/// <item><c>OTELSTORAGE_FUZZ_SEED</c>: the run's seed (decimal); <see cref="DefaultSeed"/> when unset.</item>
/// <item><c>OTELSTORAGE_FUZZ_CASE=category:index</c>: replays that one case only (with the same seed), to reproduce a failure;
/// <c>OTELSTORAGE_FUZZ_CASE=category</c> runs that whole category only.</item>
/// <item><c>OTELSTORAGE_FUZZ_OUT</c>: where the summary and failing inputs are written; <c>TestResults/fuzz</c> at the repository root by default.</item>
/// </list>
/// </summary>
public sealed class FuzzSettings
{
    public const string ModeVariable = "OTELSTORAGE_FUZZ";
    public const string SeedVariable = "OTELSTORAGE_FUZZ_SEED";
    public const string CaseVariable = "OTELSTORAGE_FUZZ_CASE";
    public const string OutputVariable = "OTELSTORAGE_FUZZ_OUT";

    /// <summary>The fixed seed of every run that does not name one, so two runs of the same commit send the same bytes.</summary>
    public const ulong DefaultSeed = 20261125;

    public bool Full { get; private init; }

    public ulong Seed { get; private init; }

    public string? OnlyCategory { get; private init; }

    /// <summary>The one case of <see cref="OnlyCategory"/> to run, or null for all of them.</summary>
    public int? OnlyIndex { get; private init; }

    public string OutputDirectory { get; private init; } = string.Empty;

    public string Mode => Full ? "full" : "reduced";

    public static FuzzSettings FromEnvironment()
    {
        var seedText = Environment.GetEnvironmentVariable(SeedVariable);
        var only = Environment.GetEnvironmentVariable(CaseVariable);
        string? category = null;
        int? index = null;
        if (!string.IsNullOrWhiteSpace(only))
        {
            var colon = only.LastIndexOf(':');
            category = colon < 0 ? only : only[..colon];
            if (colon >= 0)
            {
                index = int.TryParse(only[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var i) && colon > 0
                    ? i
                    : throw new InvalidOperationException($"{CaseVariable} must be category:index or category, for example json-mutations:417, got '{only}'");
            }
        }

        return new FuzzSettings
        {
            Full = string.Equals(Environment.GetEnvironmentVariable(ModeVariable), "full", StringComparison.OrdinalIgnoreCase),
            Seed = string.IsNullOrWhiteSpace(seedText) ? DefaultSeed : ulong.Parse(seedText, NumberStyles.None, CultureInfo.InvariantCulture),
            OnlyCategory = category,
            OnlyIndex = index,
            OutputDirectory = Environment.GetEnvironmentVariable(OutputVariable) is { Length: > 0 } output
                ? Path.GetFullPath(output)
                : Path.Combine(RepositoryPaths.Root, "TestResults", "fuzz"),
        };
    }

    /// <summary>The case indices of <paramref name="category"/> this run executes.</summary>
    public IEnumerable<int> Indices(string category, int reduced, int full)
    {
        if (OnlyCategory is not null)
        {
            return OnlyCategory != category ? []
                : OnlyIndex is { } index ? [index]
                : Enumerable.Range(0, Full ? full : reduced);
        }

        return Enumerable.Range(0, Full ? full : reduced);
    }
}
