using Ingest.Api.Apis;
using Ingest.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseCors();
app.MapDefaultEndpoints();
app.MapOtlpHttpApi();
app.MapOtlpGrpcApi();

app.Run();
