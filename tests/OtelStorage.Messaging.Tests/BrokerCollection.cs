using OtelStorage.Testing;
using Xunit;

namespace OtelStorage.Messaging.Tests;

/// <summary>One broker for the tests that need one; each declares its own queues.</summary>
[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<RabbitMqServer>
{
    public const string Name = "broker";
}
