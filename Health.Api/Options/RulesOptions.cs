using System.ComponentModel.DataAnnotations;

namespace Health.Api.Options;

/// <summary>When the pipeline is Degraded or Unhealthy. Bound from the <c>Health:Rules</c> section.</summary>
public sealed class RulesOptions : IValidatableObject
{
    public const string SectionName = "Health:Rules";

    /// <summary>Messages waiting with no consumer for this long: Degraded, "queue growing, no consumer".</summary>
    public TimeSpan NoConsumerFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The queue deeper at every poll than this long ago, while consumers are attached: Degraded.</summary>
    public TimeSpan QueueGrowingFor { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Spans accepted during this long but no block written in it: Degraded. Keep it above the batch timeout.</summary>
    public TimeSpan NoBlockWrittenFor { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Dead-lettered messages at or above this count: Degraded. 0 turns the rule off.</summary>
    [Range(0, long.MaxValue)]
    public long DeadLetterThreshold { get; set; } = 1;

    /// <summary>The object store unreachable: Unhealthy (blocks cannot be written or read), else Degraded.</summary>
    public bool ObjectStoreCritical { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, value) in new[] { (nameof(NoConsumerFor), NoConsumerFor), (nameof(QueueGrowingFor), QueueGrowingFor), (nameof(NoBlockWrittenFor), NoBlockWrittenFor) })
        {
            if (value <= TimeSpan.Zero || value > TimeSpan.FromHours(1))
            {
                yield return new($"Health:Rules:{name} must be positive and at most 01:00:00, got {value}.", [name]);
            }
        }
    }
}
