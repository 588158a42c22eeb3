using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OtelStorage.Messaging;

/// <summary>
/// Header names every queue of OtelStorage shares, and how header values are read and written: the broker hands
/// strings back as UTF-8 bytes, and W3C trace context travels as <c>traceparent</c> and <c>tracestate</c>
/// (https://www.w3.org/TR/trace-context/).
/// </summary>
public static class MessageHeaders
{
    /// <summary>W3C trace context of the publish, so the consumer's span joins the producer's trace.</summary>
    public const string TraceParent = "traceparent";

    /// <summary>The W3C vendor trace state that goes with <see cref="TraceParent"/>.</summary>
    public const string TraceState = "tracestate";

    /// <summary>Set on dead-lettered messages: why the consumer rejected it, as a sentence.</summary>
    public const string DeadLetterReason = "x-dead-letter-reason";

    /// <summary>Set on dead-lettered messages: the queue the message was taken from.</summary>
    public const string OriginalQueue = "x-original-queue";

    /// <summary>The header as text, whether it holds a string, UTF-8 bytes (as the broker delivers strings) or a number; null when absent.</summary>
    public static string? GetString(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value)
            ? value switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                string text => text,
                IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
                _ => value?.ToString(),
            }
            : null;

    /// <summary>The header as an integer, whether it holds a number or its text; null when absent or not an integer.</summary>
    public static long? GetInt64(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value)
            ? value switch
            {
                long l => l,
                int i => i,
                short s => s,
                byte b => b,
                _ => long.TryParse(GetString(headers, name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? parsed : null,
            }
            : null;

    /// <summary>The W3C trace context in the headers, or <c>default</c> when there is none or it does not parse.</summary>
    public static ActivityContext GetTraceContext(IDictionary<string, object?>? headers) =>
        ActivityContext.TryParse(GetString(headers, TraceParent), GetString(headers, TraceState), out var context) ? context : default;

    /// <summary>Writes <paramref name="activity"/>'s W3C trace context into <paramref name="headers"/>; nothing when there is no activity.</summary>
    public static void SetTraceContext(IDictionary<string, object?> headers, Activity? activity)
    {
        if (activity is null)
        {
            return;
        }

        headers[TraceParent] = activity.Id;
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            headers[TraceState] = activity.TraceStateString;
        }
    }
}
