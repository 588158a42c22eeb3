using System.Diagnostics;

namespace OtelStorage.Messaging;

/// <summary>The activity source for "{queue} publish" and "{queue} process" spans.</summary>
public static class MessagingTelemetry
{
    public const string SourceName = "OtelStorage.Messaging";

    public static readonly ActivitySource Source = new(SourceName);
}
