using System.Diagnostics;
using System.Diagnostics.Metrics;

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
}
