"""The whole system on one machine, without an AWS account: what `make run` starts.

- `supervisor`: starts moto's server, the edge, Django and a Celery worker; Ctrl-C stops them
  (`processes`: process groups and output; `config`: ports, data folder, the environment).
- `edge`: the local CDN: CloudFront, the S3 website endpoint, API Gateway and the real resizer
  Lambda in one WSGI app (`cache`, `website` and `apigateway` hold the AWS semantics it follows).
- `snapshot`: keeps moto's in-memory bucket across runs; `seed`: demo accounts and photos.

`python -m localaws` runs the supervisor.
"""
