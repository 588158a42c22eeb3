using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit;

namespace OtelStorage.Messaging.Tests;

public sealed class MessagingTelemetryTests
{
    [Fact]
    public void TheProcessSpanContinuesThePublishersTraceAsAConsumerSpan()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == MessagingTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var parent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
        var delivery = new BasicDeliverEventArgs("consumer", 7, redelivered: false, "", "spans", new BasicProperties(), new byte[100]);

        using var activity = MessagingTelemetry.StartProcess("otelstorage.spans", delivery, parent);

        Assert.NotNull(activity);
        Assert.Equal("otelstorage.spans process", activity.DisplayName);
        Assert.Equal(ActivityKind.Consumer, activity.Kind);
        Assert.Equal(parent.TraceId, activity.TraceId);
        Assert.Equal(parent.SpanId, activity.ParentSpanId);
        Assert.Equal("process", activity.GetTagItem("messaging.operation.type"));
        Assert.Equal("otelstorage.spans", activity.GetTagItem("messaging.destination.name"));
        Assert.Equal(100, activity.GetTagItem("messaging.message.body.size"));
        Assert.Equal(7UL, activity.GetTagItem("messaging.rabbitmq.message.delivery_tag"));
    }
}
