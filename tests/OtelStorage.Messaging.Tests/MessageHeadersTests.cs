using System.Diagnostics;
using System.Text;
using Xunit;

namespace OtelStorage.Messaging.Tests;

public sealed class MessageHeadersTests
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public void TheTraceContextIsReadFromHeadersAsTheBrokerDeliversThem()
    {
        var headers = new Dictionary<string, object?>
        {
            [MessageHeaders.TraceParent] = Encoding.UTF8.GetBytes(TraceParent),
            [MessageHeaders.TraceState] = Encoding.UTF8.GetBytes("vendor=opaque"),
        };

        var context = MessageHeaders.GetTraceContext(headers);

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", context.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, context.TraceFlags);
        Assert.Equal("vendor=opaque", context.TraceState);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a traceparent")]
    [InlineData("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01")]
    public void AMissingOrMalformedTraceparentGivesNoParent(string? traceParent)
    {
        var headers = new Dictionary<string, object?>();
        if (traceParent is not null)
        {
            headers[MessageHeaders.TraceParent] = Encoding.UTF8.GetBytes(traceParent);
        }

        Assert.Equal(default, MessageHeaders.GetTraceContext(headers));
        Assert.Equal(default, MessageHeaders.GetTraceContext(null));
    }

    [Fact]
    public void AnActivitysTraceContextRoundTripsThroughTheHeaders()
    {
        using var activity = new Activity("publish").SetIdFormat(ActivityIdFormat.W3C).Start();
        activity.TraceStateString = "a=b,c=d";
        var headers = new Dictionary<string, object?>();

        MessageHeaders.SetTraceContext(headers, activity);
        var context = MessageHeaders.GetTraceContext(Delivered(headers));

        Assert.Equal(activity.TraceId, context.TraceId);
        Assert.Equal(activity.SpanId, context.SpanId);
        Assert.Equal("a=b,c=d", context.TraceState);
    }

    [Fact]
    public void WithoutAnActivityNoTraceContextIsWritten()
    {
        var headers = new Dictionary<string, object?>();

        MessageHeaders.SetTraceContext(headers, null);

        Assert.Empty(headers);
    }

    [Fact]
    public void HeaderValuesAreReadAsTextOrIntegersWhateverTypeCarriesThem()
    {
        var headers = new Dictionary<string, object?>
        {
            ["bytes"] = Encoding.UTF8.GetBytes("42"),
            ["text"] = "-7",
            ["int"] = 5,
            ["long"] = 1L << 40,
            ["word"] = Encoding.UTF8.GetBytes("many"),
            ["null"] = null,
        };

        Assert.Equal("42", MessageHeaders.GetString(headers, "bytes"));
        Assert.Equal("5", MessageHeaders.GetString(headers, "int"));
        Assert.Equal(42, MessageHeaders.GetInt64(headers, "bytes"));
        Assert.Equal(-7, MessageHeaders.GetInt64(headers, "text"));
        Assert.Equal(5, MessageHeaders.GetInt64(headers, "int"));
        Assert.Equal(1L << 40, MessageHeaders.GetInt64(headers, "long"));
        Assert.Null(MessageHeaders.GetInt64(headers, "word"));
        Assert.Null(MessageHeaders.GetInt64(headers, "null"));
        Assert.Null(MessageHeaders.GetString(headers, "absent"));
        Assert.Null(MessageHeaders.GetInt64(null, "absent"));
    }

    /// <summary>The headers as a consumer receives them: the broker hands strings back as UTF-8 bytes.</summary>
    internal static Dictionary<string, object?> Delivered(IDictionary<string, object?> published) =>
        published.ToDictionary(h => h.Key, h => h.Value is string text ? (object?)Encoding.UTF8.GetBytes(text) : h.Value);
}
