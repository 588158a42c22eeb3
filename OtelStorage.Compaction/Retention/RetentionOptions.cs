using System.ComponentModel.DataAnnotations;
using OtelStorage.Tenancy;

namespace OtelStorage.Compaction.Retention;

/// <summary>How long blocks are kept. Bound from the <c>Retention</c> section and validated at start.</summary>
public sealed class RetentionOptions : IValidatableObject
{
    public const string SectionName = "Retention";

    /// <summary>Off: blocks are kept forever.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Blocks whose newest span is older than this are deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ErrorMessage = "Retention:Period must be between 1 s and 3650 days.")]
    public TimeSpan Period { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Per-tenant periods that override <see cref="Period"/>: <c>Retention:Tenants:acme=30.00:00:00</c>.</summary>
    public Dictionary<string, TimeSpan> Tenants { get; set; } = new(StringComparer.Ordinal);

    public RetentionPolicy ToPolicy() => new(Period, Tenants);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (tenant, period) in Tenants)
        {
            if (!TenantId.IsValid(tenant))
            {
                yield return new ValidationResult($"Retention:Tenants:{tenant}: the tenant must match {TenantId.Pattern}.", [nameof(Tenants)]);
            }

            if (period < TimeSpan.FromSeconds(1))
            {
                yield return new ValidationResult($"Retention:Tenants:{tenant} must be at least 1 s, got {period}.", [nameof(Tenants)]);
            }
        }
    }
}
