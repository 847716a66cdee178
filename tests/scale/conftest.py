def pytest_configure(config):
    config.addinivalue_line(
        "markers", "scale: scale-out stack on PostgreSQL, Redis and RabbitMQ (two Rasa servers)"
    )
