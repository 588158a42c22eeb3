using Query.Api.Apis;
using Query.Api.Extensions;
using Query.Api.Tenancy;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseMiddleware<StoreFailureMiddleware>();
app.UseMiddleware<TenantMiddleware>();
app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapTracesApi();
app.MapSpansApi();
app.MapServicesApi();
app.MapJaegerApi();
app.MapJaegerV3Api();
app.MapTempoApi();
app.MapNotFoundApi();

app.Run();

/// <summary>The entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
