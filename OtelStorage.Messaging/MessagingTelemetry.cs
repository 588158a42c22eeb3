using System.Diagnostics;
using System.Diagnostics.Metrics;
using RabbitMQ.Client.Events;

namespace OtelStorage.Messaging;

/// <summary>The activity source for "{queue} publish" and "{queue} process" spans, and the messaging meter.</summary>
public static class MessagingTelemetry
{
    public const string SourceName = "OtelStorage.Messaging";

    public static readonly ActivitySource Source = new(SourceName);

    public static readonly Meter Meter = new(SourceName);

    /// <summary>From the first publish of a request to the last confirm.</summary>
    public static readonly Histogram<double> ConfirmDuration = Meter.CreateHistogram<double>(
        "otelstorage.messaging.publish.confirm.duration", "ms", "Time from publishing a request's messages to the broker confirming all of them.");

    /// <summary>From Ingest.Api receiving a request to a consumer taking one of its messages, by the two hosts' clocks.</summary>
    public static readonly Histogram<double> ProcessLag = Meter.CreateHistogram<double>(
        "otelstorage.messaging.process.lag", "ms", "Time from Ingest.Api receiving a request to a consumer taking one of its messages from the queue.");

    /// <summary>
    /// Starts the consumer span <c>"{queue} process"</c> for <paramref name="delivery"/>, continuing
    /// <paramref name="parent"/> (the publish span's context from the headers, <see cref="MessageHeaders.GetTraceContext"/>).
    /// https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/
    /// </summary>
    public static Activity? StartProcess(string queue, BasicDeliverEventArgs delivery, ActivityContext parent)
    {
        var activity = Source.StartActivity(queue + " process", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.destination.name", queue);
        activity?.SetTag("messaging.message.body.size", delivery.Body.Length);
        activity?.SetTag("messaging.rabbitmq.message.delivery_tag", delivery.DeliveryTag);
        return activity;
    }
}
