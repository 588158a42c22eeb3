using RabbitMQ.Client;

namespace OtelStorage.Messaging.Connection;

/// <summary>Opens a new broker connection, which the caller owns; a consumer calls it again after each failure.</summary>
public delegate Task<IConnection> BrokerConnector(CancellationToken cancellationToken);
