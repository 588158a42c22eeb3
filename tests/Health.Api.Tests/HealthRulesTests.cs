using Health.Api.Options;
using Health.Api.Pipeline;
using Xunit;

namespace Health.Api.Tests;

/// <summary>The rules, fed made-up samples: each rule fires on its condition, with its status and a plain reason, and only then.</summary>
public sealed class HealthRulesTests
{
    private static readonly HealthOptions Options = new();
    private static readonly RulesOptions Rules = new()
    {
        NoConsumerFor = TimeSpan.FromSeconds(30),
        QueueGrowingFor = TimeSpan.FromMinutes(5),
        NoBlockWrittenFor = TimeSpan.FromMinutes(2),
    };

    private static readonly TimeSpan Step = TimeSpan.FromSeconds(5);

    [Fact]
    public void EverythingAnsweringWithAnEmptyQueueIsHealthy()
    {
        var samples = Samples.Series(100, Step, (_, at) => Samples.Healthy(at));

        var findings = HealthRules.Evaluate(samples, Options, Rules);

        Assert.Empty(findings);
    }

    [Fact]
    public void MessagesWaitingWithNoConsumerForTheWholeWindowMakeTheQueueGrowingNoConsumerReason()
    {
        var samples = Samples.Series(8, Step, (i, at) => Samples.Healthy(at, new QueueStats(true, 10 + i, 0, 0, 10 + i)));

        var finding = Assert.Single(HealthRules.Evaluate(samples, Options, Rules));

        Assert.Equal(PipelineStatus.Degraded, finding.Status);
        Assert.Equal(HealthRules.PipelineComponent, finding.Component);
        Assert.StartsWith("queue growing, no consumer", finding.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void NoConsumerDoesNotFireBeforeTheWindowHasPassed()
    {
        var samples = Samples.Series(5, Step, (i, at) => Samples.Healthy(at, new QueueStats(true, 10, 0, 0, 10)));

        Assert.Empty(HealthRules.Evaluate(samples, Options, Rules));
    }

    [Fact]
    public void AnEmptyQueueWithoutConsumersIsHealthy()
    {
        var samples = Samples.Series(20, Step, (_, at) => Samples.Healthy(at, new QueueStats(true, 0, 0, 0, 0)));

        Assert.Empty(HealthRules.Evaluate(samples, Options, Rules));
    }

    [Fact]
    public void AQueueDeeperAtEveryPollForTheWindowWhileConsumingIsDegraded()
    {
        var samples = Samples.Series(70, Step, (i, at) => Samples.Healthy(
            at,
            new QueueStats(true, 100 + (i * 10), 50, 2, 1000 + (i * 20)),
            tenants: [new TenantBlocks("acme", 1 + i, at, at, 12)]));

        var finding = Assert.Single(HealthRules.Evaluate(samples, Options, Rules));

        Assert.Equal(PipelineStatus.Degraded, finding.Status);
        Assert.Contains("queue growing for 5 min", finding.Reason, StringComparison.Ordinal);
        Assert.Contains("not keeping up", finding.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AQueueThatDrainsWithinTheWindowIsNotGrowing()
    {
        var samples = Samples.Series(70, Step, (i, at) => Samples.Healthy(at, new QueueStats(true, i == 40 ? 0 : 100 + i, 0, 1, 0)));

        Assert.Empty(HealthRules.Evaluate(samples, Options, Rules));
    }

    [Fact]
    public void ADeadLetteredMessageIsDegradedAndSaysSo()
    {
        var samples = Samples.Series(3, Step, (_, at) => Samples.Healthy(at) is var s
            ? s with { Broker = s.Broker with { DeadLetter = new QueueStats(true, 3, 0, 0, 3) } }
            : s);

        var finding = Assert.Single(HealthRules.Evaluate(samples, Options, Rules));

        Assert.Equal(PipelineStatus.Degraded, finding.Status);
        Assert.Contains("dead-letter queue holds 3 messages", finding.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ADeadLetterThresholdOfZeroTurnsTheRuleOff()
    {
        var samples = Samples.Series(3, Step, (_, at) => Samples.Healthy(at) is var s
            ? s with { Broker = s.Broker with { DeadLetter = new QueueStats(true, 3, 0, 0, 3) } }
            : s);

        Assert.Empty(HealthRules.Evaluate(samples, Options, new RulesOptions { DeadLetterThreshold = 0 }));
    }

    [Fact]
    public void SpansAcceptedWithNoBlockWrittenForTheWindowIsDegraded()
    {
        var oldBlock = new TenantBlocks("acme", 4, Samples.Start - TimeSpan.FromHours(1), Samples.Start - TimeSpan.FromHours(1), 0);
        var samples = Samples.Series(30, Step, (i, at) => Samples.Healthy(at, spansAccepted: i * 1000, tenants: [oldBlock]));

        var finding = Assert.Single(HealthRules.Evaluate(samples, Options, Rules));

        Assert.Equal(PipelineStatus.Degraded, finding.Status);
        Assert.StartsWith("spans are being accepted but no block has been written for 2", finding.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SpansAcceptedWithARecentBlockAreHealthy()
    {
        var samples = Samples.Series(30, Step, (i, at) => Samples.Healthy(at, spansAccepted: i * 1000, tenants: [new TenantBlocks("acme", 4, at - TimeSpan.FromSeconds(3), at, 1)]));

        Assert.Empty(HealthRules.Evaluate(samples, Options, Rules));
    }

    [Fact]
    public void NoSpansAcceptedAndNoBlocksIsHealthy()
    {
        var samples = Samples.Series(30, Step, (_, at) => Samples.Healthy(at));

        Assert.Empty(HealthRules.Evaluate(samples, Options, Rules));
    }

    [Fact]
    public void ACriticalServiceDownIsUnhealthyAndAnyOtherDegraded()
    {
        var samples = Samples.Series(2, Step, (_, at) => Samples.Healthy(at)
            .WithService("ingest", s => s with { Alive = Samples.Failed(at, "Connection refused") })
            .WithService("query", s => s with { Alive = Samples.Failed(at, "Connection refused") }));

        var findings = HealthRules.Evaluate(samples, Options, Rules);

        Assert.Contains(findings, f => f is { Component: "ingest", Status: PipelineStatus.Unhealthy } && f.Reason == "ingest is down: Connection refused");
        Assert.Contains(findings, f => f is { Component: "query", Status: PipelineStatus.Degraded } && f.Reason == "query is down: Connection refused");
    }

    [Fact]
    public void AServiceThatAnswersButIsNotReadyNamesItsFailingCheck()
    {
        var samples = Samples.Series(1, Step, (_, at) => Samples.Healthy(at)
            .WithService("batcher", s => s with { Ready = Samples.Failed(at, "/health answered 503: objectstore Unhealthy") }));

        var finding = Assert.Single(HealthRules.Evaluate(samples, Options, Rules));

        Assert.Equal("batcher is not ready: /health answered 503: objectstore Unhealthy", finding.Reason);
        Assert.Equal(PipelineStatus.Degraded, finding.Status);
    }

    [Fact]
    public void RabbitMqUnreachableIsUnhealthyAndNamesRabbitMq()
    {
        var samples = Samples.Series(1, Step, (_, at) => Samples.Healthy(at) with { Broker = new BrokerObservation(Samples.Failed(at, "Connection refused"), null, null) });

        var finding = Assert.Single(HealthRules.Evaluate(samples, Options, Rules));

        Assert.Equal(PipelineStatus.Unhealthy, finding.Status);
        Assert.Equal("RabbitMQ is unreachable: Connection refused", finding.Reason);
    }

    [Fact]
    public void TheObjectStoreUnreachableIsUnhealthyUnlessConfiguredNotCritical()
    {
        var samples = Samples.Series(1, Step, (_, at) => Samples.Healthy(at) with { Store = new StoreObservation(Samples.Failed(at, "timeout"), []) });

        Assert.Equal(PipelineStatus.Unhealthy, Assert.Single(HealthRules.Evaluate(samples, Options, Rules)).Status);
        Assert.Equal(PipelineStatus.Degraded, Assert.Single(HealthRules.Evaluate(samples, Options, new RulesOptions { ObjectStoreCritical = false })).Status);
    }

    [Fact]
    public void TheOverallStatusIsTheWorstFindingAndEveryReasonIsListed()
    {
        var samples = Samples.Series(1, Step, (_, at) => Samples.Healthy(at)
            .WithService("query", s => s with { Alive = Samples.Failed(at, "Connection refused") }) with
        {
            Broker = new BrokerObservation(Samples.Failed(at, "Connection refused"), null, null),
        });
        var findings = HealthRules.Evaluate(samples, Options, Rules);

        var report = HealthReportBuilder.Build(samples[^1], findings, PipelineFigures.Compute(samples, Options), new Dictionary<string, (string, DateTimeOffset)>());

        Assert.Equal(PipelineStatus.Unhealthy, report.Status);
        Assert.Equal(2, report.Reasons.Count);
        Assert.Equal(PipelineStatus.Degraded, report.Components.Single(c => c.Name == "query").Status);
        Assert.Equal(PipelineStatus.Unhealthy, report.Components.Single(c => c.Name == HealthRules.RabbitMqComponent).Status);
        Assert.Equal(PipelineStatus.Healthy, report.Components.Single(c => c.Name == "ingest").Status);
    }
}
