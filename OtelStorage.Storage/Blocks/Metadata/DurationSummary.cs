using System.Text.Json.Serialization;

namespace OtelStorage.Storage.Blocks.Metadata;

/// <summary>
/// A mergeable summary of durations in nanoseconds: count, sum, min, max and a log-scale histogram from which
/// percentiles are read (relative error below 5%). Compaction merges summaries of source blocks with
/// <see cref="Merge"/> and gets the same percentiles as if it had seen every span.
/// </summary>
public sealed class DurationSummary
{
    // Eight buckets per power of two: bucket b holds durations in [2^(b/8), 2^((b+1)/8)) ns.
    private const double BucketsPerOctave = 8;

    public long Count { get; set; }

    public long SumNanos { get; set; }

    public long MinNanos { get; set; }

    public long MaxNanos { get; set; }

    public long P50Nanos { get; set; }

    public long P90Nanos { get; set; }

    public long P99Nanos { get; set; }

    // Adds land here first: a hash map is several times cheaper per span than the sorted map that is serialized.
    private readonly Dictionary<int, long> _unsorted = [];

    /// <summary>Sparse histogram: bucket index → count. Bucket 0 also holds durations of 0 and below.</summary>
    public SortedDictionary<int, long> Buckets { get; set; } = [];

    public void Add(long durationNanos)
    {
        var bucket = durationNanos <= 1 ? 0 : (int)(Math.Log2(durationNanos) * BucketsPerOctave);
        System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_unsorted, bucket, out _)++;
        MinNanos = Count == 0 ? durationNanos : Math.Min(MinNanos, durationNanos);
        MaxNanos = Count == 0 ? durationNanos : Math.Max(MaxNanos, durationNanos);
        Count++;
        SumNanos += durationNanos;
    }

    public void Merge(DurationSummary other)
    {
        if (other.Count == 0)
        {
            return;
        }

        Fold();
        other.Fold();
        foreach (var (bucket, count) in other.Buckets)
        {
            Buckets[bucket] = Buckets.GetValueOrDefault(bucket) + count;
        }

        MinNanos = Count == 0 ? other.MinNanos : Math.Min(MinNanos, other.MinNanos);
        MaxNanos = Count == 0 ? other.MaxNanos : Math.Max(MaxNanos, other.MaxNanos);
        Count += other.Count;
        SumNanos += other.SumNanos;
        ComputePercentiles();
    }

    /// <summary>Sets the percentile fields from the histogram; called once the summary is complete.</summary>
    public void ComputePercentiles()
    {
        Fold();
        P50Nanos = Percentile(0.50);
        P90Nanos = Percentile(0.90);
        P99Nanos = Percentile(0.99);
    }

    /// <summary>The duration at quantile <paramref name="q"/> (0..1): the geometric middle of its bucket, clamped to [min, max].</summary>
    public long Percentile(double q)
    {
        if (Count == 0)
        {
            return 0;
        }

        Fold();
        var rank = (long)Math.Ceiling(q * Count);
        long seen = 0;
        foreach (var (bucket, count) in Buckets)
        {
            seen += count;
            if (seen >= rank)
            {
                var mid = bucket == 0 ? 0 : Math.Pow(2, (bucket + 0.5) / BucketsPerOctave);
                return Math.Clamp((long)mid, MinNanos, MaxNanos);
            }
        }

        return MaxNanos;
    }

    private void Fold()
    {
        foreach (var (bucket, count) in _unsorted)
        {
            Buckets[bucket] = Buckets.GetValueOrDefault(bucket) + count;
        }

        _unsorted.Clear();
    }

    [JsonIgnore]
    public double MeanNanos => Count == 0 ? 0 : (double)SumNanos / Count;
}
