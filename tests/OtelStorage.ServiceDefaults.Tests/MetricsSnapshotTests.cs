using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace OtelStorage.ServiceDefaults.Tests;

/// <summary>The counter totals ServiceDefaults serves for Health.Api to read.</summary>
public sealed class MetricsSnapshotTests
{
    [Fact]
    public void TheSnapshotSumsEachOtelStorageCounterOverItsTags()
    {
        using var snapshot = new MetricsSnapshot();
        using var meter = new Meter("OtelStorage.SnapshotTest");
        var counter = meter.CreateCounter<long>("otelstorage.snapshot_test.items");
        using var ignored = new Meter("Other.SnapshotTest");
        ignored.CreateCounter<long>("other.items").Add(5);

        counter.Add(3, new KeyValuePair<string, object?>("outcome", "ok"));
        counter.Add(4, new KeyValuePair<string, object?>("outcome", "failed"));
        var document = snapshot.Read();

        Assert.Equal(7, document.Counters["otelstorage.snapshot_test.items"]);
        Assert.DoesNotContain("other.items", document.Counters.Keys);
    }
}
