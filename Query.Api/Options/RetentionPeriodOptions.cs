using System.ComponentModel.DataAnnotations;

namespace Query.Api.Options;

/// <summary>
/// The keys of the <c>Retention</c> section that Query.Api reads, the same keys Compactor.Worker's retention uses:
/// no block is older than the longest period, so a search never needs a wider range than that. The defaults are
/// retention's own (on, 7 days).
/// </summary>
public sealed class RetentionPeriodOptions
{
    public const string SectionName = "Retention";

    /// <summary>Off: blocks are kept forever, and searches may span <see cref="Unlimited"/>.</summary>
    public bool Enabled { get; set; } = true;

    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ErrorMessage = "Retention:Period must be between 1 s and 3650 days.")]
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Per-tenant periods (<c>Retention:Tenants:acme=30.00:00:00</c>).</summary>
    public Dictionary<string, TimeSpan> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The widest range a search may ask for when retention is off: the largest <c>Query:MaxSearchRange</c> accepted.</summary>
    public static readonly TimeSpan Unlimited = TimeSpan.FromDays(3650);

    /// <summary>The longest time any tenant's blocks are kept, or <see cref="Unlimited"/> with retention off.</summary>
    public TimeSpan LongestPeriod =>
        !Enabled ? Unlimited : TimeSpan.FromTicks(Math.Min(Tenants.Values.Append(Period).Max().Ticks, Unlimited.Ticks));
}
