using System.Net;
using Google.Protobuf;
using Ingest.Api.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using OtelStorage.Testing;
using Xunit;

namespace Ingest.Api.Tests;

/// <summary>ASP.NET Core's per-request log lines are off by default (ServiceDefaults), and configuration turns them on.</summary>
public sealed class RequestLoggingTests(RabbitMqServer broker) : IClassFixture<RabbitMqServer>
{
    private const string HostingCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    [Theory]
    [InlineData(null, false)]
    [InlineData("Information", true)]
    public async Task AnExportLogsRequestLinesOnlyWhenConfigurationAsksForThem(string? aspNetCoreLevel, bool logged)
    {
        var settings = new Dictionary<string, string?> { ["Logging:LogLevel:Default"] = "Information" };
        if (aspNetCoreLevel is not null)
        {
            settings["Logging:LogLevel:Microsoft.AspNetCore"] = aspNetCoreLevel;
        }

        await using var app = await IngestApp.StartAsync(broker, settings);
        using var body = new ByteArrayContent(Requests.Spans(3).ToByteArray()) { Headers = { ContentType = new("application/x-protobuf") } };
        using var response = await app.Http.PostAsync(app.TracesUri, body, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(logged, app.Logs.Any(r => r.Category == HostingCategory && r.Level == LogLevel.Information));
        // Other Information lines are still written ("Application started").
        Assert.Contains(app.Logs, r => r.Level == LogLevel.Information && r.Category == "Microsoft.Hosting.Lifetime");
    }
}
